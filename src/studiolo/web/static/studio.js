// studiolo web studio: the few things the pages do in the browser, all through /api.
"use strict";

const STAGES = {
  queued: "Queued", understand: "Reading the prompt", compose: "Composing", paint: "Painting",
  load: "Loading model", denoise: "Denoising", decode: "Decoding", stylize: "Stylising",
  upscale: "Upscaling", faces: "Finding faces", store: "Storing", running: "Working",
  curate: "Curating", prepare: "Preparing", figures: "Colour, composition, brushwork",
  embed: "Embedding", attribute: "Attributing", index: "Indexing the collection",
  analyse: "Analysing",
};

function csrf() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

async function api(method, url, body) {
  const options = { method, headers: { "X-CSRF-Token": csrf() }, credentials: "same-origin" };
  if (body instanceof FormData) {
    options.body = body;
  } else if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(url, options);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error || `The server answered ${response.status}.`);
  return data;
}

function showError(message, where = "create-error") {
  const box = document.getElementById(where);
  if (!box) return;
  box.textContent = message || "";
  box.hidden = !message;
}

function tile(result) {
  const link = document.createElement("a");
  link.className = "tile";
  link.href = result.page;
  const img = document.createElement("img");
  img.src = result.thumbnail;
  img.loading = "lazy";
  img.alt = result.prompt || "artwork";
  link.appendChild(img);
  if (result.prompt !== undefined) {
    const caption = document.createElement("span");
    caption.textContent = (result.prompt || result.mode || "").slice(0, 60);
    if (result.flagged) {  // the safety filter flagged it: its thumbnail is blurred
      const badge = document.createElement("b");
      badge.className = "badge flagged";
      badge.title = "Flagged by the safety filter: shown blurred";
      badge.textContent = "flagged";
      caption.prepend(badge, " ");
    }
    link.appendChild(caption);
  }
  return link;
}

// Follow a job's server-sent events: progress bar, step count, preview, results as they come.
// `then(done)` runs when it ends well (done.page: where its result is shown, if anywhere).
function followJob(job, then) {
  const panel = document.getElementById("job");
  const bar = document.getElementById("job-bar");
  const text = document.getElementById("job-text");
  const preview = document.getElementById("job-preview");
  const results = document.getElementById("results");
  panel.hidden = false;
  panel.dataset.status = "running";
  bar.value = 0;
  text.textContent = "Queued";
  const source = new EventSource(job.events);
  source.addEventListener("progress", (e) => {
    const p = JSON.parse(e.data);
    const label = STAGES[p.stage] || p.stage;
    const steps = p.total ? ` ${p.step}/${p.total}` : "";
    text.textContent = label + steps + (p.message ? ` (${p.message})` : "");
    bar.value = p.total ? p.step / p.total : p.fraction;
    if (p.preview) { preview.src = p.preview; preview.hidden = false; }
  });
  source.addEventListener("result", (e) => { results.prepend(tile(JSON.parse(e.data))); });
  source.addEventListener("done", (e) => {
    const d = JSON.parse(e.data);
    source.close();
    bar.value = 1;
    text.textContent = `Done: ${d.result_ids.length} artwork${d.result_ids.length === 1 ? "" : "s"}`;
    panel.dataset.status = "done";
    preview.hidden = true;
    if (then) then(d);
  });
  source.addEventListener("failed", (e) => {
    source.close();
    const d = JSON.parse(e.data);
    text.textContent = "Failed";
    panel.dataset.status = "failed";
    showError(d.error || "The job failed.");
  });
  source.onerror = () => { if (panel.dataset.status === "running") text.textContent += " (reconnecting…)"; };
}

async function submitCreate(event) {
  event.preventDefault();
  const form = event.target;
  const button = document.getElementById("make");
  showError("");
  button.disabled = true;
  try {
    const f = new FormData(form);
    const body = {
      prompt: f.get("prompt"), mode: f.get("mode"), engine: f.get("engine") || null,
      model: f.get("model") || null, style: f.get("style") || null,
      seed: f.get("seed") ? Number(f.get("seed")) : null,
      width: Number(f.get("width")), height: Number(f.get("height")),
      batch: Number(f.get("batch") || 1), private: f.get("private") === "on",
      taste: f.get("taste") || null,
    };
    const file = form.querySelector('input[name="image"]').files[0];
    if (file && body.mode !== "txt2img") {
      const upload = new FormData();
      upload.append("file", file);
      body.image = (await api("POST", "/api/uploads", upload)).sha256;
    }
    followJob(await api("POST", "/api/create", body));
  } catch (err) {
    showError(err.message);
  } finally {
    button.disabled = false;
  }
}

async function runAction(event) {
  const action = event.target.dataset.action;
  const id = document.querySelector(".artwork").dataset.id;
  const style = document.getElementById(`${action}-style`);  // an action that takes a style
  const body = style ? { style: style.value } : undefined;
  showError("");
  try {
    followJob(await api("POST", `/api/artworks/${id}/${action}`, body), (done) => {
      // An action's own script (ArtworkAction.script) may show its result.
      document.dispatchEvent(new CustomEvent("studiolo:action-done", { detail: { ...done, action } }));
    });
  } catch (err) {
    showError(err.message);
  }
}

// Analyse (an artwork page): against a reference collection of the list, a job, then its report.
async function listCollections() {
  const select = document.getElementById("analyse-against");
  if (!select) return;
  try {
    const known = new Set(Array.from(select.options, (o) => o.value));
    for (const c of await api("GET", "/api/reference-collections")) {
      if (known.has(c.name)) continue;
      const option = document.createElement("option");
      option.value = c.name;
      option.textContent = `${c.name} (${c.works} works, ${c.artists} artists)`;
      select.appendChild(option);
    }
  } catch (err) {
    showError(err.message);
  }
}

async function runAnalyse() {
  const id = document.querySelector(".artwork").dataset.id;
  const select = document.getElementById("analyse-against");
  showError("");
  try {
    const body = { against: select ? select.value : "builtin" };
    followJob(await api("POST", `/api/artworks/${id}/analysis`, body), (done) => {
      if (done.page) window.location.assign(done.page);
    });
  } catch (err) {
    showError(err.message);
  }
}

// The gallery's first page comes with the HTML; the next ones from the API as you scroll.
function pageGallery() {
  const grid = document.getElementById("gallery");
  const sentinel = document.getElementById("more");
  let loading = false;
  async function more() {
    const next = grid.dataset.next;
    if (loading || next === "") return;
    loading = true;
    try {
      const data = await api("GET", `/api/artworks?${grid.dataset.query}&limit=${grid.dataset.page}&offset=${next}`);
      for (const a of data.items) grid.appendChild(tile({ page: a.urls.page, thumbnail: a.urls.thumbnail, prompt: a.prompt, mode: a.mode, flagged: a.flagged }));
      grid.dataset.next = data.next_offset === null ? "" : data.next_offset;
    } finally {
      loading = false;
    }
  }
  new IntersectionObserver((entries) => { if (entries.some((e) => e.isIntersecting)) more(); },
    { rootMargin: "600px" }).observe(sentinel);
}

async function choose(event) {
  const button = event.currentTarget;
  try {
    await api("POST", "/api/ratings/pair", { winner: button.dataset.winner, loser: button.dataset.loser });
    window.location.reload();
  } catch (err) {
    showError(err.message);
  }
}

// Exhibitions: make one (a job, then its page), make it public or not, delete it.
async function submitExhibition(event) {
  event.preventDefault();
  const f = new FormData(event.target);
  const button = document.getElementById("make-exhibition");
  showError("");
  button.disabled = true;
  try {
    const body = {
      theme: f.get("theme"), title: f.get("title") || null, public: f.get("public") === "on",
      max_works: Number(f.get("max_works") || 24), max_rooms: Number(f.get("max_rooms") || 3),
    };
    followJob(await api("POST", "/api/exhibitions", body), (done) => {
      if (done.page) window.location.assign(done.page);
    });
  } catch (err) {
    showError(err.message);
  } finally {
    button.disabled = false;
  }
}

async function togglePublic(event) {
  const id = document.querySelector(".exhibition").dataset.id;
  showError("");
  try {
    const e = await api("PUT", `/api/exhibitions/${id}/public`, { public: event.target.checked });
    const link = document.getElementById("share-link");
    if (e.urls.shared) { link.href = e.urls.shared; link.textContent = e.urls.shared; }
    document.getElementById("shared-count").textContent = e.shared_works === null ? ""
      : `(shows ${e.shared_works} of ${e.works} works: private and flagged ones are left out)`;
    document.getElementById("share").hidden = !e.is_public;
  } catch (err) {
    event.target.checked = !event.target.checked;
    showError(err.message);
  }
}

async function deleteExhibition() {
  if (!window.confirm("Delete this exhibition? Its works stay in the gallery.")) return;
  try {
    await api("DELETE", `/api/exhibitions/${document.querySelector(".exhibition").dataset.id}`);
    window.location.assign("/exhibitions");
  } catch (err) {
    showError(err.message);
  }
}

// Boards: make one (Gallery), add an artwork to one, possibly new (Artwork page), remove, delete.
async function boardAction(work) {
  showError("", "board-error");
  try {
    await work();
  } catch (err) {
    showError(err.message, "board-error");
  }
}

function makeBoard(event) {
  event.preventDefault();
  const name = new FormData(event.target).get("name");
  boardAction(async () => {
    const board = await api("POST", "/api/boards", { name });
    window.location.assign(board.urls.gallery);
  });
}

function addToBoard() {
  const id = document.querySelector(".artwork").dataset.id;
  const choice = document.getElementById("board-select").value;
  boardAction(async () => {
    let board = choice;
    if (choice === "new") {
      const name = document.getElementById("new-board-name").value;
      board = (await api("POST", "/api/boards", { name })).id;
    }
    await api("PUT", `/api/boards/${board}/artworks/${id}`);
    window.location.reload();
  });
}

function removeFromBoard(event) {
  const id = document.querySelector(".artwork").dataset.id;
  const board = event.currentTarget.dataset.removeBoard;
  boardAction(async () => {
    await api("DELETE", `/api/boards/${board}/artworks/${id}`);
    window.location.reload();
  });
}

function deleteBoard() {
  if (!window.confirm("Delete this board? Its works stay in the gallery.")) return;
  const board = document.getElementById("board-title").dataset.id;
  boardAction(async () => {
    await api("DELETE", `/api/boards/${board}`);
    window.location.assign("/gallery");
  });
}

function wireBoards() {
  const make = document.getElementById("board-form");
  if (make) make.addEventListener("submit", makeBoard);
  const remove = document.getElementById("delete-board");
  if (remove) remove.addEventListener("click", deleteBoard);
  const filter = document.querySelector('.filters select[name="board"]');
  if (filter) filter.addEventListener("change", () => filter.form.submit());
  const select = document.getElementById("board-select");
  if (!select) return;
  const name = document.getElementById("new-board-name");
  select.addEventListener("change", () => { name.hidden = select.value !== "new"; });
  document.getElementById("add-to-board").addEventListener("click", addToBoard);
  document.querySelectorAll("button[data-remove-board]").forEach((b) => b.addEventListener("click", removeFromBoard));
}

async function checkProvenance() {
  // The artwork page: its file's first provenance check, asked for after the page is shown.
  const box = document.getElementById("verify");
  if (!box || !box.dataset.verify) return;
  const status = box.querySelector(".status");
  const list = box.querySelector("ul");
  try {
    const report = await api("GET", box.dataset.verify);
    status.className = `status status-${report.status}`;
    status.textContent = report.status;
    list.replaceChildren(...report.lines.map((line) => {
      const item = document.createElement("li");
      item.textContent = line;
      return item;
    }));
  } catch (error) {
    status.textContent = "not checked";
    list.replaceChildren(Object.assign(document.createElement("li"), { textContent: error.message }));
  }
  delete box.dataset.verify;
}

async function jobButton(event) {
  // The Jobs page: cancel or retry one of your jobs, then show the queue as it now is.
  const button = event.currentTarget;
  button.disabled = true;
  try {
    await api("POST", button.dataset.jobCancel || button.dataset.jobRetry);
    window.location.reload();
  } catch (error) {
    showError(error.message, "jobs-error");
    button.disabled = false;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  wireBoards();
  document.querySelectorAll("button[data-job-cancel], button[data-job-retry]").forEach(
    (b) => b.addEventListener("click", jobButton));
  const exhibit = document.getElementById("exhibit-form");
  if (exhibit) exhibit.addEventListener("submit", submitExhibition);
  const isPublic = document.getElementById("ex-public");
  if (isPublic) isPublic.addEventListener("change", togglePublic);
  const remove = document.getElementById("delete-exhibition");
  if (remove) remove.addEventListener("click", deleteExhibition);
  document.querySelectorAll("button.choice").forEach((b) => b.addEventListener("click", choose));
  const form = document.getElementById("create-form");
  if (form) form.addEventListener("submit", submitCreate);
  document.querySelectorAll("button[data-action]").forEach((b) => b.addEventListener("click", runAction));
  document.querySelectorAll("button[data-analyse]").forEach((b) => b.addEventListener("click", runAnalyse));
  listCollections();
  checkProvenance();
  if (document.getElementById("gallery")) pageGallery();
});
