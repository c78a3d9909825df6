// Small progressive enhancements; every page works without them.
"use strict";

// A request whose only possible redirect is the login page: any redirect, 401, network
// failure or answer that is not JSON is reported, never taken for success.
async function ask(url, options = {}) {
  let response;
  try {
    response = await fetch(url, {
      credentials: "same-origin",
      redirect: "manual",
      ...options,
      headers: { "X-Requested-With": "fetch", ...(options.headers || {}) },
    });
  } catch (error) {
    return { offline: true };
  }
  if (response.type === "opaqueredirect" || response.status === 0) return { signedOut: true };
  const data = await response.json().catch(() => null);
  if (response.status === 401) return { signedOut: true, status: 401, data };
  return { ok: response.ok && data !== null, status: response.status, data: data || {} };
}

const csrfInputs = () => document.querySelectorAll("input[name=csrfmiddlewaretoken]");

// The session's idle clock (accounts/idle.py): a warning before the idle logout, and once
// signed out, a way back that keeps what was typed. Nothing typed is written to browser
// storage: it stays in the page until the server has it (docs/accessibility.md).
function sessionKeeper() {
  const body = document.body;
  const statusUrl = body.dataset.sessionStatusUrl;
  if (!statusUrl) return null; // not signed in: the login page, the client's questionnaire
  const me = body.dataset.username;
  const timeout = Number(body.dataset.idleTimeout) || 900;
  // A minute's warning; half the time when the timeout is a minute.
  const warnBefore = Math.min(60, timeout / 2);
  const minutes = Math.round(timeout / 60);
  const part = (name) => document.querySelector(`[data-session-${name}]`);
  const notice = part("notice");
  const message = part("message");
  const announcer = part("announce");
  const buttons = { stay: part("stay"), login: part("login"), check: part("check") };
  let deadline = Date.now() + Number(body.dataset.idleLeft || timeout) * 1000;
  let lastInput = 0;
  let renewedAt = 0; // when this page last renewed the session itself
  let warning = false;
  let signedOut = false;
  let back = false; // signed in again, and nothing saved since
  let unsaved = false; // text on this page that a save or a submit could not deliver
  let timer = null;
  let poll = null;
  let renewing = null;
  const whenBack = [];

  const announce = (text) => {
    // Cleared first, so that the same words are announced again.
    announcer.textContent = "";
    setTimeout(() => { announcer.textContent = text; }, 50);
  };
  const show = (text, shown = []) => {
    message.textContent = text;
    Object.entries(buttons).forEach(([name, button]) => { button.hidden = !shown.includes(name); });
    notice.hidden = false;
    announce(text);
  };
  const hide = () => {
    // Focus on a button about to vanish would fall to the page's start: keep it near.
    if (notice.contains(document.activeElement)) document.getElementById("main").focus();
    notice.hidden = true;
    warning = false;
  };

  const sync = (data) => {
    deadline = Date.now() + data.seconds_left * 1000;
    if (data.csrf_token) csrfInputs().forEach((input) => { input.value = data.csrf_token; });
  };

  const schedule = (delay) => {
    clearTimeout(timer);
    if (signedOut) return;
    const at = delay !== undefined ? Date.now() + delay
      : warning ? deadline + 1000 : deadline - warnBefore * 1000;
    timer = setTimeout(warning ? atDeadline : atWarning, Math.max(0, at - Date.now()));
  };

  const wentOut = () => {
    if (signedOut) return;
    signedOut = true;
    warning = false;
    back = false;
    clearTimeout(timer);
    show(
      `You are signed out: after ${minutes} minute${minutes === 1 ? "" : "s"} without activity, ` +
      "or from another tab. Anything on this page that was not saved is still here, but it is " +
      "NOT saved. Sign in again in a new tab, then come back to this one to save it.",
      ["login", "check"],
    );
    poll = setInterval(() => { if (document.visibilityState === "visible") status(); }, 5000);
  };
  const cameBack = () => {
    signedOut = false;
    back = true;
    clearInterval(poll);
    show(unsaved ? "Signed in again. Saving what you typed…" : "Signed in again.");
    schedule();
    whenBack.forEach((callback) => callback());
  };

  // Quietly: asking is not activity and does not renew the session. The answer, or null
  // when signed out (or signed in as someone else) or the server cannot be reached.
  const status = async () => {
    const answer = await ask(statusUrl);
    if (answer.signedOut) { wentOut(); return null; }
    if (!answer.ok) return null;
    if (answer.data.username !== me) {
      wentOut();
      show(
        `This tab is ${me}'s, but ${answer.data.username} is signed in now. What you typed is ` +
        `still here, not saved. Sign in as ${me} to save it.`,
        ["login", "check"],
      );
      return null;
    }
    sync(answer.data);
    if (signedOut) cameBack();
    return answer.data;
  };

  const renew = async () => {
    const post = () => ask(body.dataset.keepAliveUrl, {
      method: "POST", headers: { "X-CSRFToken": csrfInputs()[0]?.value || "" },
    });
    let answer = await post();
    // Refused for a token from before a sign-in elsewhere: take the new one and try again.
    if (answer.status === 403 && await status()) answer = await post();
    if (answer.signedOut) { wentOut(); return null; }
    if (!answer.ok) return null;
    renewedAt = Date.now();
    sync(answer.data);
    if (warning) { hide(); announce("You are still signed in."); }
    schedule();
    return answer.data;
  };
  const keepAlive = () => {
    renewing = renewing || renew().finally(() => { renewing = null; });
    return renewing;
  };

  const atWarning = async () => {
    if (!await status()) return schedule(10000); // unreachable: ask again soon
    if (deadline - Date.now() > (warnBefore + 2) * 1000) return schedule(); // renewed elsewhere
    // A key or click since the server last saw activity is activity: renew, do not warn.
    // (A second's slack: the server's clock reaches the page rounded down.)
    if (lastInput > Math.max(deadline - timeout * 1000 + 1000, renewedAt)) return void keepAlive();
    warning = true;
    const at = new Date(deadline).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    const when = warnBefore >= 60 ? "in about a minute" : `in ${warnBefore} seconds`;
    show(
      `You will be signed out at ${at}, ${when}, to protect your clients' records. ` +
      "Stay signed in, or keep typing.",
      ["stay"],
    );
    schedule();
  };
  const atDeadline = async () => {
    if (!await status()) return schedule(5000);
    if (deadline - Date.now() > warnBefore * 1000) hide();
    schedule();
  };

  ["keydown", "input", "pointerdown"].forEach((type) => {
    document.addEventListener(type, () => {
      lastInput = Date.now();
      if (warning) keepAlive();
    }, { capture: true, passive: true });
  });
  buttons.stay.addEventListener("click", () => keepAlive());
  buttons.check.addEventListener("click", async () => {
    if (!await status()) announce("Still signed out. Sign in again in the other tab first.");
  });
  window.addEventListener("focus", () => { if (signedOut) status(); });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") status().then(() => schedule());
  });
  window.addEventListener("beforeunload", (event) => {
    if (unsaved) { event.preventDefault(); event.returnValue = ""; }
  });
  schedule();

  return {
    isSignedOut: () => signedOut,
    wentOut,
    status,
    onBack: (callback) => whenBack.push(callback),
    setUnsaved: (value) => { unsaved = value; },
    saved: (text) => {
      unsaved = false;
      if (back && !signedOut && !warning) show(text);
      back = false;
    },
    // Before a form posts long text: signed in, with enough time left for the post.
    readyToSend: async () => {
      const data = await status();
      if (!data) return false;
      return data.seconds_left >= 15 || Boolean(await keepAlive());
    },
    say: show,
  };
}

// A form that posts long text is sent only once the session is known to be there, so that a
// signed-out submit never swaps the page (and the text) for the login page.
function guardLongText(session, form) {
  let checking = false;
  form.addEventListener("submit", async (event) => {
    if (form.dataset.sessionChecked === "yes") { delete form.dataset.sessionChecked; return; }
    event.preventDefault();
    if (checking) return;
    checking = true;
    const submitter = event.submitter;
    const ready = await session.readyToSend();
    checking = false;
    if (!ready) {
      session.setUnsaved(true);
      form.dataset.sessionUnsent = "yes";
      if (!session.isSignedOut()) {
        session.say("Not sent: the server cannot be reached. What you typed is still here; try again in a moment.");
      }
      return;
    }
    session.setUnsaved(false);
    delete form.dataset.sessionUnsent;
    form.dataset.sessionChecked = "yes";
    form.requestSubmit(submitter && submitter.form === form ? submitter : null);
  });
  session.onBack(() => {
    if (form.dataset.sessionUnsent === "yes") session.say("Signed in again. Send the form again to save what you typed.");
  });
}

// Draft autosave: a form with data-autosave-url posts itself there after edits, and says
// plainly (and to screen readers, through its role=status text) whether the server has it.
function autosave(session, form) {
  const status = form.querySelector(".autosave-status");
  // Only changes are written: a live region may read out even the same words again.
  const say = (text) => { if (status && status.textContent !== text) status.textContent = text; };
  let timer = null;
  let dirty = false;
  let saving = false;
  const signedOut = () => {
    if (session) session.setUnsaved(true);
    say("Not saved: you are signed out. What you typed is still here.");
  };
  const save = async () => {
    if (!dirty || saving) return;
    if (session && session.isSignedOut()) return signedOut(); // saved once signed in again
    dirty = false;
    saving = true;
    say("Saving…");
    const post = () => ask(form.dataset.autosaveUrl, { method: "POST", body: new FormData(form) });
    let answer = await post();
    if (answer.status === 403 && session) {
      // Refused for its token (a sign-in elsewhere renews it) or for being signed out.
      if (await session.status()) answer = await post();
      else answer = session.isSignedOut() ? { signedOut: true } : { offline: true };
    }
    saving = false;
    if (answer.ok && answer.data.ok) {
      say(`Draft saved ${answer.data.saved_at || ""}`.trim());
      if (session) session.saved("Signed in again. Your draft is saved.");
      return;
    }
    if (answer.signedOut) {
      dirty = true;
      signedOut();
      if (session) session.wentOut();
    } else if (answer.offline || answer.status >= 500) {
      dirty = true;
      if (session) session.setUnsaved(true);
      // A server that answers but cannot write (full disk, read-only folder) says why.
      const why = answer.data && answer.data.error;
      say(why ? `Not saved: ${why} What you typed is still here; will try again.`
              : "Not saved: the server cannot be reached. Will try again.");
    } else {
      say(`Not saved: ${answer.data.error || "the server refused the draft"}.`);
    }
  };
  form.addEventListener("input", () => { dirty = true; clearTimeout(timer); timer = setTimeout(save, 1500); });
  // A normal submit saves the same fields; don't also fire the autosave beacon on unload.
  form.addEventListener("submit", (event) => {
    if (event.defaultPrevented) return; // held back until the session is checked
    dirty = false;
    clearTimeout(timer);
  });
  if (session) session.onBack(() => { if (dirty) save(); });
  setInterval(save, 10000);
  window.addEventListener("beforeunload", () => {
    if (dirty && !(session && session.isSignedOut()) && navigator.sendBeacon) {
      navigator.sendBeacon(form.dataset.autosaveUrl, new FormData(form));
    }
  });
}

// Data tables scroll sideways inside their own box (.table-scroll) when the page is narrow.
// While one does, it is a named region that takes keyboard focus, so that it can be
// scrolled from the keyboard; otherwise it is a plain box and no extra tab stop.
function scrollRegions() {
  const nameOf = (region) => {
    const table = region.querySelector("table");
    const caption = table && table.caption ? table.caption.textContent : "";
    const heading = region.closest("section, main").querySelector("h1, h2, h3");
    return `${(caption || (heading ? heading.textContent : "Table")).trim()} (table, scrolls sideways)`;
  };
  const update = () => document.querySelectorAll(".table-scroll").forEach((region) => {
    if (region.scrollWidth > region.clientWidth) {
      region.setAttribute("tabindex", "0");
      region.setAttribute("role", "region");
      region.setAttribute("aria-label", nameOf(region));
    } else {
      ["tabindex", "role", "aria-label"].forEach((name) => region.removeAttribute(name));
    }
  });
  update();
  window.addEventListener("resize", update);
}

document.addEventListener("DOMContentLoaded", () => {
  const session = sessionKeeper();
  if (session) {
    document.querySelectorAll("form[method=post]").forEach((form) => {
      if (form.querySelector("textarea")) guardLongText(session, form);
    });
  }
  document.querySelectorAll("form[data-autosave-url]").forEach((form) => autosave(session, form));
  scrollRegions();
  // Confirm before destructive or final actions.
  document.querySelectorAll("[data-confirm]").forEach((el) => {
    el.addEventListener("click", (event) => { if (!window.confirm(el.dataset.confirm)) event.preventDefault(); });
  });
  // A carried-forward section loses its "carried" mark at the first edit (the server
  // compares the text with the carried copy's hash: notes.carry).
  document.querySelectorAll("textarea[data-carried]").forEach((area) => {
    const original = area.value;
    const help = document.getElementById(area.getAttribute("aria-describedby"));
    const mark = help && help.querySelector("[data-carried-mark]");
    if (mark) area.addEventListener("input", () => { mark.hidden = area.value !== original; });
  });
  document.querySelectorAll("[data-print]").forEach((el) => el.addEventListener("click", () => window.print()));
  // Show the risk block when risk is flagged.
  const flag = document.querySelector("[data-risk-toggle]");
  const block = document.querySelector("[data-risk-block]");
  if (flag && block) {
    // Suicidal or homicidal ideation other than "none" flags risk too (notes.content.risk_is_flagged).
    const signals = document.querySelectorAll("[data-risk-signal]");
    const signalled = () => [...signals].some((el) => el.checked && el.value !== "none");
    const sync = () => { block.hidden = !flag.checked && !signalled() && block.dataset.alwaysShow !== "1"; };
    flag.addEventListener("change", sync);
    signals.forEach((el) => el.addEventListener("change", sync));
    sync();
  }
});
