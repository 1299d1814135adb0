/*
 * Live updates for the server-rendered pages, without a reload. Driven by attributes:
 *
 * - [data-live-region][id]: a part of the page that a refresh replaces with the same part of
 *   a fresh render of the page (fetched with the session's cookie), so the server renders
 *   every state and this file knows nothing of the markup.
 * - [data-task-events="<events URL>"]: a task still queued or running. It follows the task's
 *   Server-Sent Events (GET /api/tasks/{id}/events/), writes each event's status and
 *   progress_message into its [data-task-state], and refreshes the regions once the task
 *   has finished.
 *   At most MAX_STREAMS tasks are followed at once; with more on the page, the regions are
 *   refreshed every POLL_SECONDS instead until few enough remain.
 * - [data-live-events="<events URL>"]: a stream of the page's own (GET /api/ops/events/ for
 *   the operations dashboard, which watches every user's tasks): each event it sends
 *   refreshes the regions.
 * - [data-live-poll="<seconds>"]: while one is on the page, the regions are refreshed that
 *   often (for what no single task stream can tell: a check the sweep has not made yet), or,
 *   on an element with data-live-events too, only while that stream is down.
 *
 * Open <details> keep their state across a refresh (matched by id).
 */
(() => {
  "use strict";
  const FINISHED = new Set(["succeeded", "failed", "cancelled"]);
  const streams = new Map(); // events URL -> its EventSource
  // A browser keeps at most six connections to a host over HTTP/1.1: streams beyond these
  // few would leave the page's own requests waiting, so further tasks are polled for.
  const MAX_STREAMS = 3;
  const POLL_SECONDS = 5;
  let pollTimer = null;
  let pageStream = null; // the [data-live-events] EventSource, kept once closed so it is not reopened
  let pageStreamDown = false; // its last news was an error, not an event

  function swap(html) {
    const fresh = new DOMParser().parseFromString(html, "text/html");
    const open = [...document.querySelectorAll("details[open][id]")].map((details) => details.id);
    for (const region of document.querySelectorAll("[data-live-region][id]")) {
      const replacement = fresh.getElementById(region.id);
      if (replacement) region.replaceWith(document.adoptNode(replacement));
    }
    for (const id of open) document.getElementById(id)?.setAttribute("open", "");
  }

  async function refresh() {
    try {
      const response = await fetch(window.location.href, { headers: { Accept: "text/html" } });
      if (!response.ok || response.redirected) return; // logged out or gone: the page stays as it is
      swap(await response.text());
    } catch {
      // The server is away for a moment: the next round tries again.
    }
    watch();
  }

  function show(url, task) {
    const state = task.progress_message ? `${task.status} · ${task.progress_message}` : task.status;
    for (const element of document.querySelectorAll("[data-task-events]")) {
      if (element.dataset.taskEvents !== url) continue;
      element.dataset.taskStatus = task.status;
      const target = element.querySelector("[data-task-state]") || element;
      target.textContent = state;
    }
  }

  function follow(url) {
    if (streams.has(url)) return;
    const source = new EventSource(url); // same origin: the session cookie authenticates it
    streams.set(url, source);
    source.onmessage = (event) => {
      const task = JSON.parse(event.data);
      show(url, task);
      if (FINISHED.has(task.status)) {
        source.close(); // the server ends the stream too; without this the browser would reconnect
        streams.delete(url);
        refresh();
      }
    };
    source.onerror = () => {
      // A dropped connection is retried by the browser; a 401 or 404 closes the source for good.
      if (source.readyState === EventSource.CLOSED) streams.delete(url);
    };
  }

  function followPage(url) {
    if (pageStream) return;
    pageStream = new EventSource(url);
    pageStream.onmessage = () => {
      pageStreamDown = false;
      refresh();
    };
    pageStream.onerror = () => {
      // Retried by the browser after a drop, closed for good on a 401 or 403: polled meanwhile
      // (watched once per outage, since a retry failing again must not push the poll back).
      if (pageStreamDown) return;
      pageStreamDown = true;
      watch();
    };
  }

  function watch() {
    const shown = new Set([...document.querySelectorAll("[data-task-events]")].map((e) => e.dataset.taskEvents));
    for (const [url, source] of streams) {
      if (!shown.has(url)) {
        source.close(); // no longer on the page
        streams.delete(url);
      }
    }
    let unfollowed = false;
    for (const url of shown) {
      if (streams.has(url) || streams.size < MAX_STREAMS) follow(url);
      else unfollowed = true;
    }
    const live = document.querySelector("[data-live-events]");
    if (live) followPage(live.dataset.liveEvents);
    clearTimeout(pollTimer);
    const poll = document.querySelector("[data-live-poll]");
    const streamed = poll?.hasAttribute("data-live-events") && !pageStreamDown;
    const seconds = poll && !streamed ? Number(poll.dataset.livePoll) : unfollowed ? POLL_SECONDS : 0;
    if (seconds) pollTimer = setTimeout(refresh, 1000 * seconds);
  }

  watch();
})();
