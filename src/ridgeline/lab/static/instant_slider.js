// ridgeline InstantSlider: a native range input that shows, for each stop, the card HTML and
// the SVG marker positions Python computed (model "table"). Lookups only: no physics here.
// The stop reaches Python once the slider rests (debounced save); echoes of our own saves
// are ignored so the thumb never snaps back while it moves.
const WAIT_MS = 150;

function render({ model, el }) {
  el.innerHTML = `<div class="rl-instant"><label class="rl-row"><span class="rl-name"></span>
    <input type="range" min="0" step="1"><output></output></label>
    <div class="rl-card"></div><div class="rl-plot"></div></div>`;
  const name = el.querySelector(".rl-name"), input = el.querySelector("input");
  const output = el.querySelector("output"), card = el.querySelector(".rl-card");
  const plot = el.querySelector(".rl-plot");
  let table = [], marks = [], timer = null;
  const sent = [];

  function show(i) {
    const row = table[i];
    if (!row) return;
    output.textContent = row.label;
    input.setAttribute("aria-valuetext", row.aria);
    card.innerHTML = row.card;
    row.markers.forEach((xy, j) => {
      if (marks[j]) marks[j].setAttribute("transform", `translate(${xy[0]} ${xy[1]})`);
    });
  }
  function frame() {
    name.textContent = model.get("label");
    input.setAttribute("aria-label", model.get("label"));
    plot.innerHTML = model.get("svg");
    marks = Array.from(plot.querySelectorAll("[data-m]"));
    table = model.get("table");
    input.max = String(table.length - 1);
    input.value = String(model.get("index"));
    show(input.valueAsNumber);
  }
  function save() {
    timer = null;
    const i = input.valueAsNumber;
    model.set("index", i);
    model.save_changes();
    sent.push(i);
    if (sent.length > 32) sent.shift();
  }
  function moved() {
    show(input.valueAsNumber);
    clearTimeout(timer);
    timer = setTimeout(save, WAIT_MS);
  }
  function echoed() {
    const i = model.get("index");
    if (timer !== null) return;            // a newer position is waiting to be saved
    const k = sent.indexOf(i);
    if (k >= 0) { sent.splice(0, k + 1); return; }  // our own save coming back
    input.value = String(i);
    show(input.valueAsNumber);
  }
  input.addEventListener("input", moved);
  input.addEventListener("change", moved);
  model.on("change:index", echoed);
  model.on("change:table", frame);
  model.on("change:svg", frame);
  model.on("change:label", frame);
  frame();
  return () => {
    if (timer !== null) { clearTimeout(timer); save(); }
    model.off("change:index", echoed);
    model.off("change:table", frame);
    model.off("change:svg", frame);
    model.off("change:label", frame);
  };
}

export default { render };
