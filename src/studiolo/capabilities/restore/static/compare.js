// studiolo restore: the before/after slider of the artwork page's Damage, Restore and Age
// actions (the HTML report's slider). Loaded as a same-origin file: the site's CSP allows no
// inline script. studio.js sends `studiolo:action-done` when an action's job ends.
"use strict";

(function () {
  const ACTIONS = { damage: "Damage found", restore: "Restored", age: "Aged" };

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text) node.textContent = text;
    return node;
  }

  function stylesheet() {
    if (document.getElementById("restore-compare-css")) return;
    document.head.appendChild(el("link", { rel: "stylesheet", href: "/restore/static/compare.css",
                                           id: "restore-compare-css" }));
  }

  // A slider between `before` and `after` image URLs, in a card under the actions.
  function show(action, before, after, page, width, height, linkText = "Open the result") {
    stylesheet();
    let card = document.getElementById("compare-card");
    if (card) card.remove();
    card = el("section", { class: "card compare-card", id: "compare-card" });
    card.dataset.action = action;
    const title = el("h2", {}, `${ACTIONS[action]}: before and after`);
    const box = el("div", { class: "compare", id: "compare" });
    box.style.aspectRatio = `${width} / ${height}`;  // CSSOM: allowed under style-src 'self'
    box.append(el("img", { class: "after", src: after, alt: `after (${action})` }),
               el("img", { class: "before", src: before, alt: "before" }),
               el("div", { class: "handle" }),
               el("span", { class: "label left" }, "before"),
               el("span", { class: "label right" }, action === "damage" ? "damage" : "after"));
    const row = el("div", { class: "compare-row" });
    const slider = el("input", { type: "range", id: "compare-slider", min: "0", max: "100",
                                 value: "50", step: "0.1", "aria-label": "before/after position" });
    row.append(el("span", {}, "before"), slider, el("span", {}, "after"));
    const link = el("a", { href: page, id: "compare-result" }, linkText);
    card.append(title, box, row, link);
    const actions = document.querySelector("section.actions");
    actions.after(card);

    function set(pct) {
      pct = Math.max(0, Math.min(100, pct));
      box.style.setProperty("--pos", `${pct}%`);
      box.dataset.pos = pct.toFixed(1);
      slider.value = pct;
    }
    slider.addEventListener("input", () => set(parseFloat(slider.value)));
    let dragging = false;
    const fromEvent = (e) => {
      const r = box.getBoundingClientRect();
      set(((e.clientX - r.left) / r.width) * 100);
    };
    box.addEventListener("pointerdown", (e) => { dragging = true; box.setPointerCapture(e.pointerId); fromEvent(e); });
    box.addEventListener("pointermove", (e) => { if (dragging) fromEvent(e); });
    box.addEventListener("pointerup", () => { dragging = false; });
    set(50);
  }

  async function artwork(id) {
    const response = await fetch(`/api/artworks/${id}`, { credentials: "same-origin" });
    return response.ok ? response.json() : null;
  }

  // A damage map, restoration or ageing's own page: the slider against the work it came
  // from, when the viewer may see that work (the API answers 404 otherwise).
  document.addEventListener("DOMContentLoaded", async () => {
    const page = document.querySelector(".artwork");
    if (!page) return;
    const self = await artwork(page.dataset.id);
    if (!self || self.engine !== "restore" || !(self.mode in ACTIONS) || !self.parents.length) return;
    const parent = await artwork(self.parents[0]);
    if (!parent || document.getElementById("compare-card")) return;
    show(self.mode, parent.urls.file, self.urls.file, parent.urls.page, self.width, self.height,
         "Open the original");
  });

  document.addEventListener("studiolo:action-done", async (event) => {
    const { action, result_ids: ids } = event.detail || {};
    if (!(action in ACTIONS) || !ids || !ids.length) return;
    const page = document.querySelector(".artwork");
    const made = await artwork(ids[0]);
    if (!made) return;
    show(action, `/api/artworks/${page.dataset.id}/file`, made.urls.file, made.urls.page,
         made.width, made.height);
  });
})();
