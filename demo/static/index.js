"use strict";
// Side by side: one frame per member, each its own document fed only that member's data.
(async function () {
  const panes = document.getElementById("panes");
  const add = document.getElementById("add");
  const {cast, pair} = await (await fetch("/api/cast")).json();
  for (const m of cast) {
    const o = document.createElement("option");
    o.value = m.name;
    o.textContent = `${m.name} (${m.note})`;
    add.append(o);
  }
  const notes = Object.fromEntries(cast.map((m) => [m.name, m.note]));
  function addPane(name) {
    const pane = document.createElement("section");
    pane.className = "pane";
    pane.dataset.member = name;
    const head = document.createElement("div");
    head.className = "pane-head";
    head.innerHTML = "<span></span> <a target=\"_blank\">open alone</a> <button type=\"button\" aria-label=\"close\">×</button>";
    head.querySelector("span").textContent = `${name}: ${notes[name] || ""}`;
    head.querySelector("a").href = `/m/${encodeURIComponent(name)}`;
    head.querySelector("button").addEventListener("click", () => { pane.remove(); save(); });
    const frame = document.createElement("iframe");
    frame.src = `/m/${encodeURIComponent(name)}`;
    frame.title = `${name}'s view`;
    frame.name = `view-${name}`;
    pane.append(head, frame);
    panes.append(pane);
  }
  function save() {
    const names = [...panes.querySelectorAll(".pane")].map((p) => p.dataset.member);
    history.replaceState(null, "", `?members=${names.map(encodeURIComponent).join(",")}`);
  }
  const wanted = new URLSearchParams(location.search).get("members");
  for (const name of (wanted ? wanted.split(",") : pair)) if (notes[name] !== undefined) addPane(name);
  add.addEventListener("change", () => {
    if (add.value) { addPane(add.value); save(); }
    add.value = "";
  });
})();
