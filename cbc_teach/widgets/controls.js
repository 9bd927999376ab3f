// The explorers' own controls (anywidget front end): native, labelled form elements.
//
// "slider": a <label>, a native <input type="range"> (linear or logarithmic) and a number box.
//   Arrows step by `step`, PageUp/PageDown by `page`, Home/End go to the ends; the number box
//   takes a typed value on Enter (or when it loses focus).
// "checks": a <fieldset> of tick boxes in groups, with an optional filter box; the value is
//   the list of ticked terms. Warning signs carry an icon and the words "warning sign".

let counter = 0;
function uid(prefix) {
  counter += 1;
  return `${prefix}-${Math.random().toString(36).slice(2, 8)}-${counter}`;
}

function make(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("aria-") || key === "role" || key === "for") node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) node.append(child);
  return node;
}

function renderSlider(model, el) {
  const id = uid("cbct-slider");
  const label = make("label", { class: "cbct-label", for: `${id}-range` });
  const range = make("input", { type: "range", id: `${id}-range`, step: "any" });
  const box = make("input", { type: "number", id: `${id}-number`, class: "cbct-number" });
  const unit = make("span", { class: "cbct-unit", "aria-hidden": "true" });
  const hint = make("span", { class: "cbct-hint", id: `${id}-hint` });
  range.setAttribute("aria-describedby", `${id}-hint`);
  const row = make("div", { class: "cbct-slider-row" }, [range, box, unit]);
  el.classList.add("cbct-slider");
  el.append(label, row, hint);

  const get = (name) => model.get(name);
  const log = () => get("scale") === "log" && get("min") > 0;
  const toPos = (v) => {
    if (!log()) return v;
    const lo = get("min"), hi = get("max");
    const clamped = Math.min(Math.max(v, lo), hi);
    return (1000 * Math.log(clamped / lo)) / Math.log(hi / lo);
  };
  const toValue = (pos) => {
    if (!log()) return pos;
    const lo = get("min"), hi = get("max");
    return lo * Math.exp((pos / 1000) * Math.log(hi / lo));
  };
  const rounded = (v) => Number(v.toFixed(get("decimals")));
  const clamp = (v) => {
    const top = get("grow") ? Infinity : get("max");
    return Math.min(Math.max(v, get("min")), top);
  };
  const send = (v) => {
    const value = rounded(clamp(v));
    if (value !== get("value")) {
      model.set("value", value);
      model.save_changes();
    }
    update();
  };

  function update() {
    const d = get("decimals");
    const value = get("value");
    const text = `${value.toFixed(d)} ${get("unit")}`.trim();
    label.textContent = get("description");
    if (log()) {
      range.min = 0; range.max = 1000;
    } else {
      range.min = get("min"); range.max = get("max");
    }
    range.value = toPos(value);
    range.setAttribute("aria-valuetext", text);
    if (document.activeElement !== box) box.value = value.toFixed(d);
    box.min = get("min");
    if (!get("grow")) box.max = get("max");
    box.step = get("step");
    box.setAttribute("aria-label", `${get("description")}: type a number`);
    unit.textContent = get("unit");
    hint.textContent = get("hint");
    range.disabled = box.disabled = get("disabled");
    el.title = get("tooltip");
  }

  range.addEventListener("input", () => send(toValue(Number(range.value))));
  range.addEventListener("keydown", (event) => {
    const step = get("step"), page = get("page");
    const moves = {
      ArrowUp: step, ArrowRight: step, ArrowDown: -step, ArrowLeft: -step,
      PageUp: page, PageDown: -page,
    };
    let target;
    if (event.key in moves) {
      // Snap to the step grid first, so 6.47 moves to 6.4/6.5 rather than 6.37/6.57.
      const grid = Math.round(get("value") / step) * step;
      const base = Math.abs(grid - get("value")) < 1e-9 ? get("value") : (moves[event.key] > 0
        ? Math.floor(get("value") / step) * step : Math.ceil(get("value") / step) * step);
      target = base + moves[event.key];
    } else if (event.key === "Home") target = get("min");
    else if (event.key === "End") target = get("max");
    else return;
    event.preventDefault();
    event.stopPropagation();
    send(Math.min(Math.max(target, get("min")), get("max")));
  });
  const commit = () => {
    const typed = Number(box.value);
    if (box.value.trim() === "" || !Number.isFinite(typed)) {
      update();
      return;
    }
    send(typed);
    box.value = get("value").toFixed(get("decimals"));
  };
  box.addEventListener("change", commit);
  box.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      commit();
    }
    event.stopPropagation();
  });
  model.on("change", update);
  update();
  return () => model.off("change", update);
}

function renderChecks(model, el) {
  const id = uid("cbct-checks");
  const legend = make("legend", { class: "cbct-legend" });
  const fieldset = make("fieldset", { class: "cbct-checks" }, [legend]);
  const filterLabel = make("label", { for: `${id}-filter`, class: "cbct-filter-label" });
  const filter = make("input", { type: "search", id: `${id}-filter`, class: "cbct-filter" });
  const filterRow = make("div", { class: "cbct-filter-row" }, [filterLabel, filter]);
  const body = make("div", { class: "cbct-check-groups" });
  fieldset.append(filterRow, body);
  el.classList.add("cbct-checkgroup");
  el.append(fieldset);
  const boxes = new Map();

  function build() {
    body.replaceChildren();
    boxes.clear();
    const groups = new Map();
    for (const option of model.get("options")) {
      const name = option.group || "";
      if (!groups.has(name)) groups.set(name, []);
      groups.get(name).push(option);
    }
    let n = 0;
    for (const [name, options] of groups) {
      const group = make("div", { class: "cbct-check-group", role: "group" });
      if (name) {
        const gid = `${id}-g${n}`;
        group.setAttribute("aria-labelledby", gid);
        group.append(make("div", { class: "cbct-group-title", id: gid, text: name }));
      }
      n += 1;
      for (const option of options) {
        const input = make("input", { type: "checkbox", value: option.term });
        input.disabled = model.get("disabled");
        input.addEventListener("change", changed);
        const parts = [input];
        if (option.warn) {
          parts.push(make("span", { class: "cbct-warn", text: "⚠ warning sign: " }));
        }
        parts.push(make("span", { text: option.label }));
        const label = make("label", { class: "cbct-check" + (option.warn ? " cbct-check-warn" : "") }, parts);
        group.append(label);
        boxes.set(option.term, { input, label, text: option.label.toLowerCase() });
      }
      body.append(group);
    }
    update();
  }

  function changed() {
    const chosen = [];
    for (const [term, { input }] of boxes) if (input.checked) chosen.push(term);
    for (const term of model.get("value")) if (!boxes.has(term)) chosen.push(term);
    model.set("value", chosen);
    model.save_changes();
  }

  function applyFilter() {
    const query = filter.value.trim().toLowerCase();
    for (const { input, label, text } of boxes.values()) {
      label.hidden = query !== "" && !input.checked && !text.includes(query);
    }
    for (const group of body.children) {
      const visible = [...group.querySelectorAll("label.cbct-check")].some((l) => !l.hidden);
      group.hidden = !visible;
    }
  }

  function update() {
    legend.textContent = model.get("description");
    const chosen = new Set(model.get("value"));
    for (const [term, { input }] of boxes) {
      input.checked = chosen.has(term);
      input.disabled = model.get("disabled");
    }
    filterRow.hidden = !model.get("filter_label");
    filterLabel.textContent = model.get("filter_label");
    el.title = model.get("tooltip");
    applyFilter();
  }

  filter.addEventListener("input", applyFilter);
  filter.addEventListener("keydown", (event) => event.stopPropagation());
  model.on("change:options", build);
  model.on("change", update);
  build();
  return () => {
    model.off("change:options", build);
    model.off("change", update);
  };
}

export default {
  render({ model, el }) {
    return model.get("kind") === "checks" ? renderChecks(model, el) : renderSlider(model, el);
  },
};
