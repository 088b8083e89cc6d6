// ridgeline InstantMix: one native <select> per toolkit slot. For every mix of the slots the
// verdict card, a one-line summary and the marker's position come from the table Python
// computed (model "table", one row per mix; "pick" is its choice in each slot): the chosen mix
// is found by its picks. Lookups only: no physics here. The mix reaches Python once the
// selects rest (debounced save), at once when the pointer or the keyboard acts elsewhere on
// the page (Submit), and echoes of our own saves are ignored.
const WAIT_MS = 150;

function render({ model, el }) {
  el.innerHTML = `<div class="rl-mix"><fieldset><legend></legend></fieldset>
    <output aria-live="polite"></output>
    <div class="rl-pair"><div class="rl-card"></div><div class="rl-plot"></div></div></div>`;
  const root = el.querySelector(".rl-mix"), box = el.querySelector("fieldset");
  const legend = el.querySelector("legend"), output = el.querySelector("output");
  const card = el.querySelector(".rl-card"), plot = el.querySelector(".rl-plot");
  let table = [], byPick = new Map(), selects = [], mark = null, timer = null, queued = false;
  const sent = [];

  function show(i) {
    const row = table[i];
    if (!row) return;
    row.pick.forEach((p, k) => { if (selects[k]) selects[k].value = String(p); });
    output.textContent = row.label;
    card.innerHTML = row.card;
    if (mark) mark.setAttribute("transform", `translate(${row.marker[0]} ${row.marker[1]})`);
    root.dataset.mix = String(i);
  }
  function chosen() {
    return byPick.get(selects.map((s) => s.value).join(" "));
  }
  function slots() {
    legend.textContent = model.get("label");
    box.replaceChildren(legend, ...model.get("slots").map((slot) => {
      const label = document.createElement("label"), name = document.createElement("span");
      const select = document.createElement("select");
      name.textContent = slot.name;
      slot.choices.forEach((c, p) => select.add(new Option(c, String(p))));
      select.addEventListener("change", moved);
      label.append(name, select);
      return label;
    }));
    selects = Array.from(box.querySelectorAll("select"));
  }
  function frame() {
    queued = false;
    plot.innerHTML = model.get("svg");
    mark = plot.querySelector("[data-m]");
    table = model.get("table");
    byPick = new Map(table.map((row, i) => [row.pick.join(" "), i]));
    const mine = timer !== null ? chosen() : undefined;  // a move not saved yet stays
    show(mine === undefined ? model.get("index") : mine);
  }
  function later() {
    if (!queued) { queued = true; queueMicrotask(frame); }
  }
  function save() {
    timer = null;
    const i = chosen();
    if (i === undefined || i === model.get("index")) return;
    sent.push(i);
    if (sent.length > 32) sent.shift();
    model.set("index", i);
    model.save_changes();
  }
  function moved() {
    const i = chosen();
    if (i !== undefined) show(i);
    clearTimeout(timer);
    timer = setTimeout(save, WAIT_MS);
  }
  function flush() {
    if (timer !== null) { clearTimeout(timer); save(); }
  }
  function outside(e) {
    if (!e.composedPath().includes(root)) flush();
  }
  function echoed() {
    if (timer !== null) return;            // a newer mix is waiting to be saved
    const i = model.get("index"), k = sent.indexOf(i);
    if (k >= 0) { sent.splice(0, k + 1); return; }  // our own save coming back
    show(i);
  }
  function reslot() {
    slots();
    frame();
  }
  model.on("change:index", echoed);
  model.on("change:table", later);
  model.on("change:svg", later);
  model.on("change:slots", reslot);
  model.on("change:label", reslot);
  document.addEventListener("pointerdown", outside, true);
  document.addEventListener("keydown", outside, true);
  reslot();
  return () => {
    flush();
    document.removeEventListener("pointerdown", outside, true);
    document.removeEventListener("keydown", outside, true);
    model.off("change:index", echoed);
    model.off("change:table", later);
    model.off("change:svg", later);
    model.off("change:slots", reslot);
    model.off("change:label", reslot);
  };
}

export default { render };
