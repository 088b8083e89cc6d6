// ridgeline InstantSlider: a native range input that shows, for each stop, the card HTML and
// the SVG marker positions Python computed; optionally a second (outer) range input - Part 2's
// batch - that switches between pages, each with its own plot and rows (model "pages").
// Lookups only: no physics here. The stops reach Python once the sliders rest (debounced
// save); echoes of our own saves are ignored so no thumb snaps back while it moves.
const WAIT_MS = 150;

function render({ model, el }) {
  const row = (cls) => `<label class="rl-row ${cls}"><span class="rl-name"></span>
    <input type="range" min="0" step="1"><output></output></label>`;
  el.innerHTML = `<div class="rl-instant">${row("rl-inner")}${row("rl-outer")}
    <div class="rl-card"></div><div class="rl-plot"></div></div>`;
  const [inner, outer] = [".rl-inner", ".rl-outer"].map((sel) => {
    const box = el.querySelector(sel);
    return { box, name: box.querySelector(".rl-name"), input: box.querySelector("input"),
             output: box.querySelector("output") };
  });
  const card = el.querySelector(".rl-card"), plot = el.querySelector(".rl-plot");
  let pages = [], table = [], marks = [], shownPage = -1, timer = null;
  const sent = [];

  function showPage(p) {
    const page = pages[p];
    if (!page) return;
    if (p !== shownPage) {
      plot.innerHTML = page.svg;
      marks = Array.from(plot.querySelectorAll("[data-m]"));
      table = page.rows;
      inner.input.max = String(table.length - 1);
      shownPage = p;
    }
    outer.output.textContent = page.label;
    outer.input.setAttribute("aria-valuetext", page.aria);
  }
  function show() {
    showPage(outer.input.valueAsNumber);
    const r = table[inner.input.valueAsNumber];
    if (!r) return;
    inner.output.textContent = r.label;
    inner.input.setAttribute("aria-valuetext", r.aria);
    card.innerHTML = r.card;
    r.markers.forEach((xy, j) => {
      if (marks[j]) marks[j].setAttribute("transform", `translate(${xy[0]} ${xy[1]})`);
    });
  }
  function place() {
    outer.input.value = String(model.get("page"));
    showPage(outer.input.valueAsNumber);     // the page's rows set the inner slider's range
    inner.input.value = String(model.get("index"));
  }
  function frame() {
    pages = model.get("pages");
    shownPage = -1;
    for (const [part, key] of [[inner, "label"], [outer, "page_label"]]) {
      part.name.textContent = model.get(key);
      part.input.setAttribute("aria-label", model.get(key));
    }
    outer.box.hidden = !model.get("page_label");
    outer.input.max = String(pages.length - 1);
    if (timer === null) place();            // a move not saved yet stays where it is
    show();
  }
  function save() {
    timer = null;
    const p = outer.input.valueAsNumber, i = inner.input.valueAsNumber;
    model.set("page", p);
    model.set("index", i);
    model.save_changes();
    sent.push(`${p} ${i}`);
    if (sent.length > 32) sent.shift();
  }
  function moved() {
    show();
    clearTimeout(timer);
    timer = setTimeout(save, WAIT_MS);
  }
  function echoed() {
    if (timer !== null) return;            // a newer position is waiting to be saved
    const k = sent.indexOf(`${model.get("page")} ${model.get("index")}`);
    if (k >= 0) { sent.splice(0, k + 1); return; }  // our own save coming back
    place();
    show();
  }
  // both traits of one save arrive together: look once they have both landed
  const later = () => queueMicrotask(echoed);
  for (const part of [inner, outer]) {
    part.input.addEventListener("input", moved);
    part.input.addEventListener("change", moved);
  }
  model.on("change:index", later);
  model.on("change:page", later);
  for (const key of ["pages", "label", "page_label"]) model.on(`change:${key}`, frame);
  frame();
  return () => {
    if (timer !== null) { clearTimeout(timer); save(); }
    model.off("change:index", later);
    model.off("change:page", later);
    for (const key of ["pages", "label", "page_label"]) model.off(`change:${key}`, frame);
  };
}

export default { render };
