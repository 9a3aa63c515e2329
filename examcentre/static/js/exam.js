/* The candidate's timed theory exam (templates/terminal/home.html).
 *
 * It talks only to the terminal API (/api/v1/terminal, examcentre/api/terminal.py) and shows
 * one screen at a time: loading, waiting (no paper yet), ready (instructions and Start),
 * exam (one question per screen, answer sheet, countdown), result; the paused overlay and
 * the submit dialog on top. Every string comes from the page (#exam-strings), rendered by
 * the server in the candidate's language.
 *
 * Time: the server owns the deadline. The countdown is deadline_at minus the server's "now",
 * estimated as the browser's clock plus an offset measured on every response that carries
 * the attempt (server_now minus the midpoint of the round trip): every heartbeat and save.
 *
 * Saving: a change is kept first in localStorage (keyed by ticket number and attempt start),
 * then sent, debounced per question, as PUT /answers/<position> with a seq that counts up per
 * question. A save leaves the local buffer only when the server acknowledges it (200);
 * network failures and 5xx are retried with backoff, also after a reload. 409 (time up,
 * paused, ...) and 422 are final: the save is dropped and the candidate is told why.
 */
(() => {
  "use strict";

  const app = document.getElementById("exam-app");
  if (!app) return;

  // A sign-in answers with this page at the sign-in's address: make the history entry this
  // page's own, so that a reload fetches the page instead of posting the sign-in form again.
  if (app.dataset.pageUrl && location.pathname !== app.dataset.pageUrl) {
    history.replaceState(null, "", app.dataset.pageUrl);
  }

  const T = JSON.parse(document.getElementById("exam-strings").textContent);
  const CSRF = document.querySelector('meta[name="csrf-token"]').content;
  const API = {
    exam: app.dataset.apiExam,
    start: app.dataset.apiStart,
    paper: app.dataset.apiPaper,
    heartbeat: app.dataset.apiHeartbeat,
    submit: app.dataset.apiSubmit,
    result: app.dataset.apiResult,
    answers: app.dataset.apiAnswers, // + position
  };
  const HEARTBEAT_MS = Math.max(0.2, Number(app.dataset.heartbeatSeconds) || 15) * 1000;
  const DEBOUNCE_MS = 600; // a change is sent at most this long after it was made
  const MAX_BACKOFF_MS = 10000;
  const LETTERS = "ABCDE";
  const LANG_KEY = "examcentre.exam.language";

  const $ = (id) => document.getElementById(id);
  const fmt = (text, values) =>
    text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  const S = {
    phase: "loading", // loading | waiting | ready | exam | result | left
    attempt: null, // the latest attempt the server sent
    offset: 0, // server clock minus browser clock, in ms
    questions: [],
    answers: new Map(), // position -> {response, flagged}
    index: 0,
    store: null, // {seqs, pending, index}, mirrored in localStorage
    storeKey: null,
    lang: readLanguage(),
    paused: false,
    opening: false, // POST /start and GET /paper under way
    finishing: false, // submitting (the candidate, or time ran out)
    online: true,
    warned: new Set(),
  };

  // --- Talking to the server --------------------------------------------------------------

  class NetworkError extends Error {}

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  const retryable = (error) =>
    error instanceof NetworkError || error.status >= 500 || error.status === 429;

  async function call(method, url, body) {
    const headers = { Accept: "application/json" };
    const init = { method, headers, credentials: "same-origin", cache: "no-store" };
    if (method !== "GET") headers["X-CSRFToken"] = CSRF;
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const sent = Date.now();
    let response;
    let data = null;
    try {
      response = await fetch(url, init);
      data = await response.json().catch(() => null);
    } catch (error) {
      setOnline(false);
      throw new NetworkError(String(error));
    }
    const received = Date.now();
    setOnline(true);
    if (data && data.attempt) syncClock(data.attempt, sent, received);
    if (!response.ok) {
      const code = data && data.error;
      const error = new ApiError(response.status, code, (data && data.message) || response.statusText);
      if (code === "moved" || code === "not_a_terminal" || response.status === 401) leave(error.message);
      throw error;
    }
    if (data && data.attempt) onAttempt(data.attempt);
    return data;
  }

  function syncClock(attempt, sent, received) {
    const serverNow = Date.parse(attempt.server_now);
    if (!Number.isNaN(serverNow)) S.offset = serverNow - (sent + received) / 2;
    S.attempt = attempt;
  }

  function setOnline(online) {
    if (S.online === online) return;
    S.online = online;
    renderSaveState();
  }

  // --- The local buffer (localStorage) ----------------------------------------------------

  function readLanguage() {
    try {
      const chosen = localStorage.getItem(LANG_KEY);
      if (chosen === "zh" || chosen === "en") return chosen;
    } catch (_) { /* storage disabled: use the interface language */ }
    return app.dataset.language === "en" ? "en" : "zh";
  }

  function readStore(key) {
    try {
      const value = JSON.parse(localStorage.getItem(key) || "null");
      return value && typeof value === "object" ? value : null;
    } catch (_) {
      return null;
    }
  }

  function persist() {
    if (!S.storeKey) return;
    try {
      localStorage.setItem(S.storeKey, JSON.stringify(S.store));
    } catch (_) { /* full or disabled: the answers are still sent */ }
  }

  function forgetStore() {
    try {
      if (S.storeKey) localStorage.removeItem(S.storeKey);
    } catch (_) { /* nothing to do */ }
  }

  const pendingCount = () => (S.store ? Object.keys(S.store.pending).length : 0);

  // --- Saving answers ---------------------------------------------------------------------

  const inflight = new Map(); // position -> promise of the PUT
  const debounce = new Map(); // position -> timer
  let backoff = 1000;
  let retryTimer = null;

  function change(position, response, flagged) {
    if (S.phase !== "exam" || S.paused || S.finishing) return;
    S.answers.set(position, { response, flagged });
    const seq = (S.store.seqs[position] || 0) + 1;
    S.store.seqs[position] = seq;
    S.store.pending[position] = { response, flagged, seq };
    persist(); // before anything is sent: a reload or a crash keeps it
    clearTimeout(debounce.get(position));
    debounce.set(position, setTimeout(() => send(position), DEBOUNCE_MS));
    renderAnswerState();
    renderSaveState();
  }

  function send(position) {
    clearTimeout(debounce.get(position));
    debounce.delete(position);
    if (inflight.has(position)) {
      // One save per question at a time; a newer change goes once this one is answered.
      return inflight.get(position).then(() =>
        S.online && S.store && S.store.pending[position] ? send(position) : undefined);
    }
    const item = S.store && S.store.pending[position];
    if (!item || S.phase !== "exam") return Promise.resolve();
    const promise = (async () => {
      try {
        const data = await call("PUT", API.answers + position, {
          response: item.response, flagged: item.flagged, seq: item.seq,
        });
        acknowledge(position, item, data);
        backoff = 1000;
      } catch (error) {
        if (retryable(error)) retryLater();
        else if (error instanceof ApiError && S.phase === "exam") refused(position, item, error);
      } finally {
        inflight.delete(position);
        renderSaveState();
      }
    })();
    inflight.set(position, promise);
    renderSaveState();
    return promise;
  }

  function acknowledge(position, item, data) {
    const pending = S.store.pending[position];
    if (pending && pending.seq <= data.seq) delete S.store.pending[position];
    S.store.seqs[position] = Math.max(S.store.seqs[position] || 0, data.seq);
    if (!S.store.pending[position] && data.seq > item.seq) {
      // The server holds a newer save than this one (from before a lost local buffer).
      S.answers.set(position, { response: data.response, flagged: data.flagged });
      renderAnswerState();
    }
    persist();
  }

  function refused(position, item, error) {
    const pending = S.store.pending[position];
    if (pending && pending.seq <= item.seq) delete S.store.pending[position];
    persist();
    const problem = $("save-problem");
    problem.textContent = fmt(T.not_saved, { n: position, reason: error.message });
    problem.hidden = false;
    if (error.code === "time_up" || error.code === "submitted") {
      finish();
    } else if (error.code !== "paused") {
      refreshPaper(); // show what the server holds
    } // paused: the overlay comes with the next heartbeat; the paper is reloaded on resume
    beat();
  }

  function retryLater() {
    if (retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      flushAll();
    }, backoff);
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
  }

  function flushAll() {
    if (!S.store) return;
    for (const position of Object.keys(S.store.pending)) send(Number(position));
  }

  function flushSoon() {
    // The server answers again (the network is back): retry now rather than after the backoff.
    if (!pendingCount() || inflight.size) return;
    clearTimeout(retryTimer);
    retryTimer = null;
    backoff = 1000;
    flushAll();
  }

  async function flushNow() {
    // Before submitting: send everything still buffered; true when nothing is left.
    for (let round = 0; round < 3 && pendingCount(); round += 1) {
      await Promise.all(Object.keys(S.store.pending).map((position) => send(Number(position))));
      if (!S.online) break;
    }
    return pendingCount() === 0;
  }

  // --- The paper --------------------------------------------------------------------------

  function setUpPaper(paper) {
    S.questions = paper.questions;
    S.storeKey = `examcentre.exam.${app.dataset.ticket}.${paper.attempt.started_at}`;
    const stored = readStore(S.storeKey) || {};
    const keepIndex = S.store ? S.index : null;
    S.store = { seqs: stored.seqs || {}, pending: stored.pending || {}, index: stored.index || 0 };
    S.answers = new Map(S.questions.map((q) => [q.position, { response: null, flagged: false }]));
    const serverSeq = {};
    for (const answer of paper.answers) {
      S.answers.set(answer.position, { response: answer.response, flagged: answer.flagged });
      serverSeq[answer.position] = answer.seq;
      S.store.seqs[answer.position] = Math.max(S.store.seqs[answer.position] || 0, answer.seq);
    }
    // Saves the server has not acknowledged yet win over what it holds; the others are done.
    for (const [key, item] of Object.entries(S.store.pending)) {
      const position = Number(key);
      if (S.answers.has(position) && item.seq > (serverSeq[position] || 0)) {
        S.answers.set(position, { response: item.response, flagged: item.flagged });
      } else {
        delete S.store.pending[key];
      }
    }
    const index = keepIndex ?? S.store.index;
    S.index = Math.min(Math.max(0, Number(index) || 0), S.questions.length - 1);
    S.store.index = S.index;
    persist();
  }

  async function openPaper() {
    if (S.opening || S.phase === "exam") return; // the Start button and a heartbeat at once
    S.opening = true;
    let paper;
    try {
      // Start is idempotent: it starts the clock once, and resumes a candidate who was moved.
      // Its answer carries the paper (GET paper is for refreshing it later).
      paper = await call("POST", API.start);
    } finally {
      S.opening = false;
    }
    if (S.phase === "left" || S.phase === "result") return;
    setUpPaper(paper);
    S.phase = "exam";
    showScreen("exam");
    buildGrid();
    renderQuestion();
    renderSaveState();
    tick();
    onAttempt(paper.attempt);
    flushAll();
    $("q-number").focus({ preventScroll: true });
  }

  async function refreshPaper() {
    try {
      const paper = await call("GET", API.paper);
      if (S.phase !== "exam") return;
      setUpPaper(paper);
      renderQuestion();
      flushAll();
    } catch (_) { /* the next heartbeat tries again */ }
  }

  const isAnswered = (answer) => Boolean(answer && answer.response);
  const current = () => S.questions[S.index];

  function go(index) {
    if (index < 0 || index >= S.questions.length || index === S.index) return;
    const focusWasInQuestion = $("question-card").contains(document.activeElement) &&
      !document.activeElement.matches("#prev-button, #next-button, #flag-button, #clear-button");
    S.index = index;
    S.store.index = index;
    persist();
    $("save-problem").hidden = true;
    renderQuestion();
    if (focusWasInQuestion || document.activeElement === document.body) {
      $("q-number").focus({ preventScroll: true });
    }
  }

  function choose(question, value, on) {
    const answer = S.answers.get(question.position);
    let response = value;
    if (question.type === "multiple") {
      const letters = new Set(answer.response || "");
      if (on) letters.add(value);
      else letters.delete(value);
      response = [...letters].sort().join("") || null;
    }
    change(question.position, response, answer.flagged);
  }

  function chooseByKey(question, value) {
    const answer = S.answers.get(question.position);
    const on = question.type === "multiple" ? !(answer.response || "").includes(value) : true;
    choose(question, value, on);
    const input = $("q-options").querySelector(`input[value="${value}"]`);
    if (input) input.focus({ preventScroll: true });
  }

  function toggleFlag() {
    const question = current();
    const answer = S.answers.get(question.position);
    change(question.position, answer.response, !answer.flagged);
  }

  function clearAnswer() {
    const question = current();
    const answer = S.answers.get(question.position);
    if (answer.response) change(question.position, null, answer.flagged);
  }

  // --- Rendering --------------------------------------------------------------------------

  function showScreen(name) {
    for (const screen of app.querySelectorAll(".exam-screen")) {
      screen.hidden = screen.id !== `screen-${name}`;
    }
    document.body.dataset.phase = S.phase;
    $("exam-clock").hidden = name !== "exam";
    renderSaveState();
  }

  function renderQuestion() {
    const question = current();
    if (!question) return;
    const english = S.lang === "en" && Boolean(question.stem.en);
    const contentLang = english ? "en" : "zh-CN";

    $("q-number").textContent = fmt(T.question_of, { n: question.position, total: S.questions.length });
    $("q-type").textContent = T[`type_${question.type}`] || question.type;
    const stem = $("q-stem");
    stem.textContent = english ? question.stem.en : question.stem.zh;
    stem.lang = contentLang;
    const note = $("q-note");
    note.textContent = T.no_english;
    note.hidden = !(S.lang === "en" && !english);

    const image = $("q-image");
    $("question-body").classList.toggle("has-image", Boolean(question.image_url));
    if (question.image_url) {
      image.src = question.image_url;
      image.alt = fmt(T.image_alt, { n: question.position });
      image.hidden = false;
    } else {
      image.hidden = true;
      image.removeAttribute("src");
      image.alt = "";
    }

    $("q-hint").textContent = T[`hint_${question.type}`] || "";
    const box = $("q-options");
    box.replaceChildren();
    box.className = `q-options q-options-${question.type}`;
    const choices = question.type === "true_false"
      ? [
        { value: "true", icon: "check", text: T.true, key: "T" },
        { value: "false", icon: "cross", text: T.false, key: "F" },
      ]
      : question.options.map((option) => ({
        value: option.letter,
        mark: option.letter,
        text: english && option.en ? option.en : option.zh,
        lang: english && option.en ? "en" : "zh-CN",
      }));
    for (const choice of choices) {
      const label = document.createElement("label");
      label.className = "q-option";
      const input = document.createElement("input");
      input.type = question.type === "multiple" ? "checkbox" : "radio";
      input.name = `answer-${question.position}`;
      input.value = choice.value;
      input.className = "q-input";
      input.addEventListener("change", () => choose(question, choice.value, input.checked));
      const mark = document.createElement("span");
      mark.className = "q-mark";
      mark.setAttribute("aria-hidden", "true");
      if (choice.icon) mark.append(icon(choice.icon));
      else mark.textContent = choice.mark;
      const text = document.createElement("span");
      text.className = "q-text";
      text.textContent = choice.text;
      if (choice.lang) text.lang = choice.lang;
      label.append(input, mark, text);
      if (choice.key) {
        const key = document.createElement("kbd");
        key.className = "q-key";
        key.setAttribute("aria-hidden", "true");
        key.textContent = choice.key;
        label.append(key);
      }
      box.append(label);
    }
    $("prev-button").disabled = S.index === 0;
    $("next-button").disabled = S.index === S.questions.length - 1;
    $("sheet-keys").textContent = question.type === "true_false" ? T.keys_true_false : T.keys_choice;
    for (const button of app.querySelectorAll(".q-lang [data-lang]")) {
      button.setAttribute("aria-pressed", String(button.dataset.lang === S.lang));
      button.classList.toggle("active", button.dataset.lang === S.lang);
    }
    renderAnswerState();
  }

  function renderAnswerState() {
    const question = current();
    if (!question) return;
    const answer = S.answers.get(question.position);
    const chosen = answer.response || "";
    for (const input of $("q-options").querySelectorAll("input")) {
      const on = question.type === "true_false" ? chosen === input.value : chosen.includes(input.value);
      input.checked = on;
      input.closest(".q-option").classList.toggle("is-selected", on);
    }
    const flag = $("flag-button");
    flag.setAttribute("aria-pressed", String(answer.flagged));
    flag.classList.toggle("is-flagged", answer.flagged);
    $("clear-button").disabled = !answer.response;
    renderGrid();
  }

  const ICONS = {
    check: "M3.5 8.5l3 3 6-7",
    cross: "M4 4l8 8M12 4l-8 8",
  };

  function icon(name) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 16 16");
    svg.setAttribute("class", `q-icon q-icon-${name}`);
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", ICONS[name]);
    svg.append(path);
    return svg;
  }

  function buildGrid() {
    const grid = $("q-grid");
    grid.replaceChildren();
    grid.classList.toggle("compact", S.questions.length > 30);
    S.questions.forEach((question, index) => {
      const cell = document.createElement("button");
      cell.type = "button";
      cell.className = "q-cell";
      cell.textContent = question.position;
      cell.dataset.position = question.position;
      cell.addEventListener("click", () => go(index));
      grid.append(cell);
    });
  }

  function renderGrid() {
    let answered = 0;
    $("q-grid").querySelectorAll(".q-cell").forEach((cell, index) => {
      const question = S.questions[index];
      const answer = S.answers.get(question.position);
      const done = isAnswered(answer);
      answered += done ? 1 : 0;
      cell.classList.toggle("answered", done);
      cell.classList.toggle("flagged", answer.flagged);
      cell.classList.toggle("current", index === S.index);
      if (index === S.index) cell.setAttribute("aria-current", "step");
      else cell.removeAttribute("aria-current");
      const parts = [fmt(T.cell, { n: question.position }), done ? T.cell_answered : T.cell_unanswered];
      if (answer.flagged) parts.push(T.cell_flagged);
      cell.setAttribute("aria-label", parts.join(", "));
    });
    $("sheet-count").textContent = fmt(T.answered_count, { answered, total: S.questions.length });
  }

  function renderSaveState() {
    const box = $("save-state");
    if (S.phase !== "exam") {
      box.hidden = true;
      return;
    }
    let state = "saved";
    if (!S.online) state = "offline";
    else if (pendingCount() || inflight.size) state = "saving";
    box.hidden = false;
    if (box.dataset.state !== state) {
      box.dataset.state = state;
      $("save-text").textContent = T[state];
    }
  }

  function notice(text, kind) {
    const box = $("exam-notice");
    if (!text) {
      box.hidden = true;
      return;
    }
    box.className = `alert alert-${kind || "info"} exam-notice`;
    box.textContent = text;
    box.hidden = false;
  }

  // --- The clock --------------------------------------------------------------------------

  function remainingSeconds() {
    const attempt = S.attempt;
    if (!attempt) return 0;
    if (attempt.state === "in_progress" && attempt.deadline_at) {
      return (Date.parse(attempt.deadline_at) - (Date.now() + S.offset)) / 1000;
    }
    return attempt.remaining_seconds;
  }

  function clockText(seconds) {
    const total = Math.max(0, Math.ceil(seconds));
    const hours = Math.floor(total / 3600);
    const minutes = String(Math.floor((total % 3600) / 60)).padStart(2, "0");
    const secs = String(total % 60).padStart(2, "0");
    return hours ? `${hours}:${minutes}:${secs}` : `${minutes}:${secs}`;
  }

  function tick() {
    if (S.phase !== "exam" || !S.attempt) return;
    const left = remainingSeconds();
    const text = clockText(left);
    $("clock-time").textContent = text;
    $("paused-time").textContent = text;
    const duration = S.attempt.duration_seconds;
    const thresholds = (S.attempt.warnings_at_seconds || []).filter((t) => t < duration);
    const lowest = thresholds.length ? Math.min(...thresholds) : -1;
    const clock = $("exam-clock");
    clock.classList.toggle("is-critical", left <= lowest);
    clock.classList.toggle("is-warning", left > lowest && thresholds.some((t) => left <= t));
    if (S.attempt.state !== "in_progress") return;
    const crossed = thresholds.filter((t) => left <= t && !S.warned.has(t));
    if (crossed.length && left > 0) {
      crossed.forEach((t) => S.warned.add(t));
      const minutes = Math.round(Math.min(...crossed) / 60);
      $("time-warning-text").textContent = fmt(T.warning, { minutes });
      $("time-warning").hidden = false;
    }
    // Half a second late rather than early: the offset is only known to within a round trip,
    // and the server records a paper handed in at its deadline as submitted by the deadline.
    if (left <= -0.5) timeUp();
  }

  // --- States: paused, submitted, moved ---------------------------------------------------

  function onAttempt(attempt) {
    if (S.phase !== "exam") return;
    if (attempt.state === "submitted") {
      if (!S.finishing) finish(); // the server submitted it (time ran out, or the invigilator)
    } else if (attempt.state === "paused") {
      showPaused();
    } else if (attempt.state === "in_progress" && S.paused) {
      hidePaused();
    }
  }

  function hideDialog() {
    const dialog = bootstrap.Modal.getInstance($("submit-dialog"));
    if (dialog) dialog.hide();
  }

  function showPaused() {
    if (S.paused) return;
    S.paused = true;
    hideDialog();
    $("screen-exam").inert = true;
    const overlay = $("paused-overlay");
    overlay.hidden = false;
    overlay.focus();
  }

  function hidePaused() {
    if (!S.paused) return;
    S.paused = false;
    $("paused-overlay").hidden = true;
    $("screen-exam").inert = false;
    refreshPaper(); // saves refused while paused are gone: show what the server holds
    $("q-number").focus({ preventScroll: true });
  }

  async function timeUp() {
    if (S.finishing || S.phase !== "exam") return;
    S.finishing = true;
    hideDialog();
    $("screen-exam").inert = true;
    notice(T.time_up, "info");
    for (let delay = 1000; S.phase === "exam"; delay = Math.min(delay * 2, MAX_BACKOFF_MS)) {
      await flushNow();
      try {
        const data = await call("POST", API.submit);
        await finish(data);
        return;
      } catch (error) {
        if (error instanceof ApiError && error.code === "paused") {
          // Paused at the last moment: the clock stopped, so time is not up after all.
          S.finishing = false;
          notice(null);
          showPaused();
          return;
        }
        if (!retryable(error)) {
          await finish();
          return;
        }
        notice(T.time_up_offline, "warning");
      }
      await sleep(delay);
    }
  }

  async function submitPaper() {
    const confirm = $("submit-confirm");
    const problem = $("submit-error");
    confirm.disabled = true;
    problem.hidden = true;
    S.finishing = true;
    try {
      if (!(await flushNow())) throw new NetworkError("unsent");
      const data = await call("POST", API.submit);
      hideDialog();
      await finish(data);
    } catch (error) {
      if (S.phase !== "exam") return;
      S.finishing = false;
      confirm.disabled = false;
      problem.textContent = error instanceof ApiError
        ? fmt(T.submit_failed, { reason: error.message })
        : T.submit_unsent;
      problem.hidden = false;
    }
  }

  async function finish(data) {
    if (S.phase === "result" || S.phase === "left") return;
    S.phase = "result";
    hideDialog();
    S.paused = false;
    $("paused-overlay").hidden = true;
    let body = data;
    while (!body || !("result" in body)) {
      try {
        body = await call("GET", API.result);
      } catch (error) {
        if (!retryable(error)) {
          if (error.code === "not_submitted") S.phase = "exam"; // not over yet after all
          return;
        }
        notice(T.unreachable, "warning");
        await sleep(3000);
      }
    }
    forgetStore();
    showResult(body.result);
  }

  function showResult(result) {
    notice(null);
    $("screen-exam").inert = false;
    showScreen("result");
    $("result-shown").hidden = !result;
    $("result-hidden").hidden = Boolean(result);
    if (!result) {
      $("result-hidden").focus();
      return;
    }
    $("result-score").textContent = Number(result.score).toFixed(1);
    const verdict = $("result-verdict");
    verdict.textContent = result.passed ? T.pass : T.fail;
    verdict.className = `result-verdict ${result.passed ? "is-pass" : "is-fail"}`;
    const points = (value) => String(Math.round(Number(value) * 100) / 100);
    $("result-detail").textContent = fmt(T.score_detail, {
      correct: result.correct,
      questions: S.attempt ? S.attempt.question_count : S.questions.length,
      earned: points(result.earned),
      total: points(result.total),
      pass_mark: points(result.pass_mark),
    });
    const critical = $("result-critical");
    critical.textContent = T.failed_on_critical;
    critical.hidden = !result.failed_on_critical;
    $("result-slip").href = result.slip_url;
    $("result-title").focus();
  }

  function leave(message) {
    // Moved to another terminal, or no longer signed in: say so, then go to the sign-in page.
    if (S.phase === "left") return;
    S.phase = "left";
    hideDialog();
    $("paused-overlay").hidden = true;
    for (const screen of app.querySelectorAll(".exam-screen")) screen.hidden = true;
    document.body.dataset.phase = "left";
    $("exam-clock").hidden = true;
    $("save-state").hidden = true;
    notice(message, "warning");
    setTimeout(() => window.location.assign(app.dataset.signInUrl), 4000);
  }

  // --- Start-up and the heartbeat ---------------------------------------------------------

  async function route(data) {
    const attempt = data.attempt;
    S.attempt = attempt;
    if (attempt.state === "ready") {
      S.phase = "ready";
      $("ready-duration").textContent = fmt(T.minutes, { minutes: Math.round(attempt.duration_seconds / 60) });
      $("ready-count").textContent = attempt.question_count;
      showScreen("ready");
    } else if (attempt.state === "submitted") {
      S.phase = "exam";
      await finish(data);
    } else {
      await openPaper();
    }
  }

  function showWaiting() {
    S.phase = "waiting";
    showScreen("waiting");
  }

  // What GET exam would answer, embedded in the page (null when the page could not say).
  function embeddedExam() {
    const element = $("exam-state");
    try {
      const data = element ? JSON.parse(element.textContent) : null;
      if (data && data.attempt) {
        // The page left the server moments ago: close enough for the first screen, and the
        // next call (start, heartbeat) sets the clock offset properly.
        syncClock(data.attempt, Date.now(), Date.now());
        return data;
      }
    } catch (_) { /* fall back to asking */ }
    return null;
  }

  async function boot() {
    const embedded = embeddedExam();
    for (let delay = 1000; S.phase === "loading"; delay = Math.min(delay * 2, MAX_BACKOFF_MS)) {
      try {
        const data = S.phase === "loading" && delay === 1000 && embedded ? embedded : null;
        await route(data || (await call("GET", API.exam)));
        notice(null);
      } catch (error) {
        if (!retryable(error)) {
          if (S.phase === "loading") showWaiting();
          break;
        }
        notice(T.unreachable, "warning");
        await sleep(delay);
      }
    }
    setInterval(tick, 250);
    heartbeatLoop();
  }

  async function beat() {
    try {
      if (S.phase === "exam") {
        await call("POST", API.heartbeat);
        flushSoon();
      } else if ((S.phase === "waiting" || S.phase === "ready") && !S.opening) {
        const data = await call("GET", API.exam);
        const changed = S.phase === "waiting" || data.attempt.state !== "ready";
        if (changed && !S.opening && (S.phase === "waiting" || S.phase === "ready")) await route(data);
      }
    } catch (_) { /* offline or refused: shown where it matters; the next beat tries again */ }
  }

  // The first beat comes after a random part of the interval, and each later one after the
  // interval give or take a tenth. A room opens its pages within seconds of one another: with
  // a fixed interval every terminal would beat in the same moment, every 15 s, for the whole
  // exam, and the answer saves that fall into those bursts wait behind 500 heartbeats
  // (bench/exam_storm.py, BENCHMARKS.md). Spread out, the room's beats are a steady trickle.
  const beatDelay = (first) =>
    HEARTBEAT_MS * (first ? 0.25 + 0.75 * Math.random() : 0.9 + 0.2 * Math.random());

  async function heartbeatLoop() {
    for (let first = true; S.phase !== "left"; first = false) {
      await sleep(beatDelay(first));
      await beat(); // (it does nothing once the result is shown)
    }
  }

  // --- Events -----------------------------------------------------------------------------

  $("start-button").addEventListener("click", async () => {
    const button = $("start-button");
    const problem = $("start-error");
    button.disabled = true;
    problem.hidden = true;
    try {
      await openPaper();
    } catch (error) {
      if (S.phase === "left") return;
      problem.textContent = error instanceof ApiError ? error.message : T.unreachable;
      problem.hidden = false;
      button.disabled = false;
    }
  });
  $("prev-button").addEventListener("click", () => go(S.index - 1));
  $("next-button").addEventListener("click", () => go(S.index + 1));
  $("flag-button").addEventListener("click", toggleFlag);
  $("clear-button").addEventListener("click", clearAnswer);
  $("time-warning-close").addEventListener("click", () => { $("time-warning").hidden = true; });
  for (const button of app.querySelectorAll(".q-lang [data-lang]")) {
    button.addEventListener("click", () => {
      S.lang = button.dataset.lang;
      try {
        localStorage.setItem(LANG_KEY, S.lang);
      } catch (_) { /* the choice lasts for this page only */ }
      renderQuestion();
    });
  }

  const dialog = $("submit-dialog");
  $("submit-open").addEventListener("click", () => {
    const unanswered = S.questions.filter((q) => !isAnswered(S.answers.get(q.position)));
    const flagged = S.questions.filter((q) => S.answers.get(q.position).flagged);
    const list = (questions) => questions.map((q) => q.position).join(", ") || T.none;
    $("submit-answered").textContent = fmt(T.submit_answered, {
      answered: S.questions.length - unanswered.length, total: S.questions.length,
    });
    $("submit-unanswered").textContent = list(unanswered);
    $("submit-flagged").textContent = list(flagged);
    $("submit-error").hidden = true;
    $("submit-confirm").disabled = false;
    bootstrap.Modal.getOrCreateInstance(dialog).show();
  });
  dialog.addEventListener("shown.bs.modal", () => $("submit-cancel").focus());
  $("submit-confirm").addEventListener("click", submitPaper);

  window.addEventListener("offline", () => setOnline(false));
  window.addEventListener("online", () => {
    beat();
    flushSoon();
  });

  document.addEventListener("keydown", (event) => {
    if (S.phase !== "exam" || S.paused || S.finishing) return;
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (dialog.classList.contains("show") || document.body.classList.contains("modal-open")) return;
    const target = event.target instanceof Element ? event.target : document.body;
    if (target.closest("textarea, select, [contenteditable], input:not([type=radio]):not([type=checkbox])")) return;
    const question = current();
    if (!question) return;
    const key = event.key;
    const lower = key.length === 1 ? key.toLowerCase() : key;
    const trueFalse = question.type === "true_false";
    if (key === "ArrowLeft") go(S.index - 1);
    else if (key === "ArrowRight") go(S.index + 1);
    else if (key === "Enter") {
      if (target.closest("button, a, summary")) return; // the focused control's own action
      go(S.index + 1);
    } else if (lower === "f" && (!trueFalse || event.shiftKey)) toggleFlag();
    else if (trueFalse && (lower === "t" || key === "1")) chooseByKey(question, "true");
    else if (trueFalse && (lower === "f" || key === "2")) chooseByKey(question, "false");
    else if (!trueFalse && /^[a-e1-5]$/.test(lower)) {
      const index = /\d/.test(lower) ? Number(lower) - 1 : LETTERS.indexOf(lower.toUpperCase());
      if (index >= question.options.length) return;
      chooseByKey(question, LETTERS[index]);
    } else if (key === "Delete" || key === "Backspace") clearAnswer();
    else return;
    event.preventDefault();
  });

  boot();
})();
