// ridgeline InstantMix: one native <select> per toolkit slot and, in Part 3, one range input
// per workload slider (batch, scale). Every row of the table Python computed (model "table")
// holds a mix ("pick": its choice in each slot) at a workload ("at": its stop on each slider):
// every mix at the table's workload ("center") and the table's mix at every workload. The
// verdict card, a one-line summary and the marker are looked up: no physics here. A pair the
// table lacks (a mix and a workload both moved) waits for Python, which re-centres the table
// on it. The choice reaches Python once the controls rest (debounced save), at once when the
// pointer or the keyboard acts elsewhere on the page (Submit); our own echoes are ignored.
const WAIT_MS = 150;

function render({ model, el }) {
  el.innerHTML = `<div class="rl-mix"><fieldset><legend></legend></fieldset>
    <div class="rl-work"></div><output class="rl-summary" aria-live="polite"></output>
    <div class="rl-pair"><div class="rl-card"></div><div class="rl-plot"></div></div></div>`;
  const root = el.querySelector(".rl-mix"), box = el.querySelector("fieldset");
  const legend = el.querySelector("legend"), output = el.querySelector(".rl-summary");
  const card = el.querySelector(".rl-card"), plot = el.querySelector(".rl-plot");
  const work = el.querySelector(".rl-work");
  let table = [], byKey = new Map(), mixOf = new Map(), selects = [], ranges = [];
  let mark = null, others = null, timer = null, queued = false;
  const sent = [];

  const picks = () => selects.map((s) => s.value).join(" ");
  const stops = () => ranges.map((r) => r.input.value).join(" ");
  const here = () => byKey.get(`${picks()}@${stops()}`);

  function labels() {
    ranges.forEach((r, k) => {
      const w = model.get("work")[k], v = r.input.valueAsNumber;
      r.output.textContent = w.labels[v];
      r.input.setAttribute("aria-valuetext", w.arias[v]);
    });
  }
  function show() {
    labels();
    const atCenter = stops() === model.get("center").join(" ");
    if (others) others.style.display = atCenter ? "" : "none";
    const row = table[here()];
    if (mark) mark.style.display = row ? "" : "none";
    if (!row) {
      output.textContent = model.get("waiting");
      card.innerHTML = "";
      root.dataset.mix = "";
      return;
    }
    output.textContent = row.label;
    card.innerHTML = row.card;
    if (mark) mark.setAttribute("transform", `translate(${row.marker[0]} ${row.marker[1]})`);
    root.dataset.mix = String(row.mix);
  }
  function place() {
    const row = table.find((r) => r.mix === model.get("index"));
    if (row) row.pick.forEach((p, k) => { if (selects[k]) selects[k].value = String(p); });
    model.get("at").forEach((a, k) => { if (ranges[k]) ranges[k].input.value = String(a); });
  }
  function control(tag, name, attrs) {
    const label = document.createElement("label"), span = document.createElement("span");
    const input = document.createElement(tag);
    span.textContent = name;
    Object.entries(attrs).forEach(([k, v]) => input.setAttribute(k, v));
    input.addEventListener("change", moved);
    input.addEventListener("input", moved);
    label.append(span, input);
    return { label, input };
  }
  function controls() {
    legend.textContent = model.get("label");
    selects = model.get("slots").map((slot) => {
      const c = control("select", slot.name, {});
      slot.choices.forEach((ch, p) => c.input.add(new Option(ch, String(p))));
      return c;
    });
    box.replaceChildren(legend, ...selects.map((c) => c.label));
    selects = selects.map((c) => c.input);
    ranges = model.get("work").map((w) => {
      const c = control("input", w.name, { type: "range", min: "0", step: "1",
                                            max: String(w.last), "aria-label": w.name });
      c.output = document.createElement("output");
      c.label.append(c.output);
      return c;
    });
    work.replaceChildren(...ranges.map((r) => r.label));
  }
  function frame() {
    queued = false;
    plot.innerHTML = model.get("svg");
    mark = plot.querySelector("[data-m]");
    others = plot.querySelector("[data-others]");
    table = model.get("table");
    byKey = new Map(table.map((row, i) => [`${row.pick.join(" ")}@${row.at.join(" ")}`, i]));
    mixOf = new Map(table.map((row) => [row.pick.join(" "), row.mix]));
    if (timer === null) place();           // a move not saved yet stays where it is
    show();
  }
  function later() {
    if (!queued) { queued = true; queueMicrotask(frame); }
  }
  function save() {
    timer = null;
    const i = mixOf.get(picks()), at = ranges.map((r) => r.input.valueAsNumber);
    if (i === undefined) return;
    if (i === model.get("index") && at.join(" ") === model.get("at").join(" ")) return;
    sent.push(`${i}@${at.join(" ")}`);
    if (sent.length > 32) sent.shift();
    model.set("index", i);
    model.set("at", at);
    model.save_changes();
  }
  function moved() {
    show();
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
    if (timer !== null) return;            // a newer choice is waiting to be saved
    const k = sent.indexOf(`${model.get("index")}@${model.get("at").join(" ")}`);
    if (k >= 0) { sent.splice(0, k + 1); return; }  // our own save coming back
    place();
    show();
  }
  function rebuild() {
    controls();
    frame();
  }
  const echoLater = () => queueMicrotask(echoed);  // index and at of one save land together
  const events = [["index", echoLater], ["at", echoLater], ["table", later], ["svg", later],
                  ["center", later], ["slots", rebuild], ["work", rebuild], ["label", rebuild]];
  events.forEach(([key, fn]) => model.on(`change:${key}`, fn));
  document.addEventListener("pointerdown", outside, true);
  document.addEventListener("keydown", outside, true);
  rebuild();
  return () => {
    flush();
    document.removeEventListener("pointerdown", outside, true);
    document.removeEventListener("keydown", outside, true);
    events.forEach(([key, fn]) => model.off(`change:${key}`, fn));
  };
}

export default { render };
