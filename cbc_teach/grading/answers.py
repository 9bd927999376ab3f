"""Reading a student's answer cell outside the kernel, without running it.

An answer cell holds plain data (``q1 = "low"``, ``q2 = 1.2``, ``q3 = ["anemia"]``); simple
arithmetic on numbers is read too (``q2 = 3.4 * (28 + 4) / 100``). That value is the recorded
answer: nothing the kernel does can change it.

An answer may also be computed with the toolkit (``q1 = classify(ex.patient("A").cbc).wbc_status``,
as the instructor's solutions are). The grader then takes the value the check cell recorded in
the kernel, but only if every answer cell of the notebook passes a static check: assignments
and expressions only, no imports, no function or class definitions, no names or attributes
starting with ``_``, no attribute or item assignment, nothing from a short list of
escape hatches (``exec``, ``getattr``, ``get_ipython``...). Such cells can compute but cannot
change builtins, modules or the checker, so the recorded values are the student's own.

A cell is read as IPython runs it: through IPython's own input transformer
(:func:`ipython_python`). A cell using IPython's syntax (a magic, ``!cmd``, an auto-call such as
``;exec ...``), or one that does not parse, is never pure calculation: its answers count only as
plain data. Honest formatting (a common indentation, a trailing comment, a ``?`` in a comment)
changes nothing.

>>> read_answer('q2 = 3.4 * (28 + 4) / 100  # my ANC', "q2").value
1.088
>>> r = read_answer('import builtins\\nq1 = "low"', "q1")
>>> r.kind, r.value, r.safe
('value', 'low', False)
>>> read_answer('q1 = classify(ex.patient("A").cbc).wbc_status', "q1").kind
'code'
"""

from __future__ import annotations

import ast
import functools
import math
import textwrap
from dataclasses import dataclass
from typing import Any

__all__ = ["MAX_ANSWER_CHARS", "AnswerReading", "ipython_python", "literal_value", "read_answer",
           "unsafe_reasons"]

DENIED_NAMES = frozenset({
    "eval", "exec", "compile", "open", "globals", "locals", "vars", "getattr", "setattr",
    "delattr", "input", "breakpoint", "help", "exit", "quit", "memoryview", "type", "object",
    "super", "classmethod", "staticmethod", "property", "get_ipython", "In", "Out", "builtins",
    "sys", "os", "importlib", "subprocess", "ctypes", "gc", "inspect", "signal", "resource",
    "threading", "multiprocessing", "shutil", "pathlib", "io", "runpy", "atexit",
})
DENIED_ATTRS = frozenset({
    "check", "format", "format_map", "mro", "gi_frame", "gi_code", "f_globals", "f_locals",
    "f_builtins", "f_back", "f_code", "tb_frame", "tb_next", "cr_frame", "ag_frame", "setattr",
    "delattr", "exec", "eval", "system", "popen", "modules", "load_module", "exec_module",
    "register", "kill",
})

_ALLOWED_EXPR = (
    ast.Constant, ast.Name, ast.Attribute, ast.Subscript, ast.Slice, ast.Call, ast.keyword,
    ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.IfExp, ast.List, ast.Tuple, ast.Set,
    ast.Dict, ast.ListComp, ast.SetComp, ast.DictComp, ast.comprehension, ast.JoinedStr,
    ast.FormattedValue, ast.Starred, ast.Load, ast.Store, ast.operator, ast.unaryop,
    ast.boolop, ast.cmpop, ast.expr_context,
)
_ALLOWED_STMT = (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Expr, ast.Pass, ast.If, ast.For)


class _NotLiteral(Exception):
    pass


def literal_value(node: ast.AST) -> Any:
    """The value of a literal: numbers, strings, True/False/None, ``...``, lists and tuples of
    these, and + - * / on numbers. Anything else raises ``ValueError``.

    >>> literal_value(ast.parse("[1, 'a', -2.5 * 2]", mode="eval").body)
    [1, 'a', -5.0]
    """
    try:
        return _literal(node)
    except (_NotLiteral, ZeroDivisionError, OverflowError):
        raise ValueError("not plain data") from None


def _literal(node: ast.AST) -> Any:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, (complex, bytes)):
            raise _NotLiteral
        return node.value
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return [_literal(e) for e in node.elts]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        v = _literal(node.operand)
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise _NotLiteral
        return -v if isinstance(node.op, ast.USub) else +v
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
        a, b = _literal(node.left), _literal(node.right)
        for v in (a, b):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or abs(v) > 1e12:
                raise _NotLiteral
        out = {ast.Add: a + b, ast.Sub: a - b, ast.Mult: a * b}.get(type(node.op)) \
            if not isinstance(node.op, ast.Div) else a / b
        if not math.isfinite(out):
            raise _NotLiteral
        return out
    raise _NotLiteral


def unsafe_reasons(tree: ast.AST) -> list[str]:
    """Why a cell is not pure calculation (empty when it is); see the module docstring."""
    found: list[str] = []

    def note(text: str) -> None:
        if text not in found:
            found.append(text)

    for node in ast.walk(tree):
        if isinstance(node, ast.Module):
            continue
        if isinstance(node, ast.stmt):
            if not isinstance(node, _ALLOWED_STMT):
                note({ast.Import: "imports a module", ast.ImportFrom: "imports a module",
                      ast.FunctionDef: "defines a function", ast.ClassDef: "defines a class",
                      ast.While: "has a while loop"}.get(type(node), f"has a {type(node).__name__} statement"))
            targets = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.For)):
                targets = [node.target]
            for target in targets:
                for sub in ast.walk(target):
                    if isinstance(sub, (ast.Attribute, ast.Subscript)):
                        note("assigns to an attribute or an item")
            continue
        if not isinstance(node, _ALLOWED_EXPR):
            if not isinstance(node, ast.expr):
                continue  # parts of a statement already reported (alias, arguments...)
            note({ast.Lambda: "defines a function (lambda)",
                  ast.GeneratorExp: "uses a generator expression",
                  ast.NamedExpr: "uses ':='"}.get(type(node), f"uses {type(node).__name__}"))
        elif isinstance(node, ast.Name) and (node.id.startswith("_") or node.id in DENIED_NAMES):
            note(f"uses the name {node.id!r}")
        elif isinstance(node, ast.Attribute) and (node.attr.startswith("_") or node.attr in DENIED_ATTRS):
            note(f"uses the attribute {node.attr!r}")
        elif isinstance(node, ast.comprehension) and node.is_async:
            note("uses async")
    return found


@dataclass(frozen=True)
class AnswerReading:
    """What the grader read in one answer cell.

    ``kind``: ``value`` (plain data, in ``value``), ``code`` (computed: the kernel's recorded
    value may be used), ``unanswered`` (``...`` left in place), ``no_assignment`` (the cell does
    not set the question's variable), ``syntax_error``, ``too_long`` (over
    :data:`MAX_ANSWER_CHARS`), ``missing`` (no answer cell).
    ``safe``: the cell passes the static check; ``problems`` says why not.
    """

    question: str
    kind: str
    value: Any = None
    safe: bool = True
    problems: tuple[str, ...] = ()
    detail: str = ""


#: An answer cell longer than this is not read (nor run): an answer is a line or a few.
MAX_ANSWER_CHARS = 20_000


@functools.cache
def _transformer():
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager()


def ipython_python(source: str) -> tuple[str, bool]:
    """The Python that IPython runs for a cell, and whether the cell uses IPython's own syntax.

    IPython transforms a cell before running it (magics ``%x``, shell escapes ``!cmd`` and
    ``x = !cmd``, auto-call ``;f a``, ``,f a`` and ``/f a``, help ``x?``, prompts pasted from a
    console, a leading indentation). Honest formatting (a common indentation, comments, a ``?``
    inside a comment) gives the same Python as the cell itself: no IPython syntax.

    >>> ipython_python("x = !ls")[1], ipython_python("  q2 = 'moderate'  # is that right?")[1]
    (True, False)
    """
    try:
        python = _transformer().transform_cell(source)
    except (SyntaxError, ValueError, IndexError, TypeError, RecursionError):
        return source, True  # IPython cannot transform it: it would not run as written either
    try:
        same = ast.dump(ast.parse(python)) == ast.dump(ast.parse(textwrap.dedent(source)))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        same = False
    return python, not same


def read_answer(source: str, question: str) -> AnswerReading:
    """Read the answer to ``question`` from an answer cell's source (see the module docstring).

    The cell is read as IPython would run it (:func:`ipython_python`); a cell that uses
    IPython's own syntax is never pure calculation.
    """
    if len(source) > MAX_ANSWER_CHARS:
        return AnswerReading(question, "too_long", safe=False,
                             problems=("is too long to be read",),
                             detail=f"the answer cell is {len(source)} characters long; the "
                                    f"grader reads answer cells of at most {MAX_ANSWER_CHARS}")
    text, magic = ipython_python(source)
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        return AnswerReading(question, "syntax_error", safe=False,
                             problems=("has a syntax error",),
                             detail=f"syntax error on line {exc.lineno}: {exc.msg}")
    except (ValueError, RecursionError, MemoryError):
        return AnswerReading(question, "syntax_error", safe=False, problems=("cannot be parsed",),
                             detail="the cell cannot be parsed")
    problems = unsafe_reasons(tree)
    if magic:
        problems.insert(0, "uses IPython syntax (a magic, a shell command or an auto-call)")
    value_node, nested = None, False
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == question for t in stmt.targets) or isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) \
                and stmt.target.id == question and stmt.value is not None:
            value_node, nested = stmt.value, False
        elif any(isinstance(n, ast.Name) and n.id == question and isinstance(n.ctx, ast.Store)
                 for n in ast.walk(stmt)):
            value_node, nested = None, True
    safe = not problems
    if value_node is None:
        if nested:
            return AnswerReading(question, "code", safe=safe, problems=tuple(problems),
                                 detail=f"{question} is set by code")
        return AnswerReading(question, "no_assignment", safe=safe, problems=tuple(problems),
                             detail=f"the cell does not set {question}")
    try:
        value = literal_value(value_node)
    except ValueError:
        return AnswerReading(question, "code", safe=safe, problems=tuple(problems),
                             detail=f"{question} is computed")
    if value is Ellipsis:
        return AnswerReading(question, "unanswered", safe=safe, problems=tuple(problems))
    return AnswerReading(question, "value", value, safe, tuple(problems))
