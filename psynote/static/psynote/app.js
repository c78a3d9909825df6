// Small progressive enhancements; every page works without them.
document.addEventListener("DOMContentLoaded", () => {
  // Draft autosave: a form with data-autosave-url posts itself there after edits.
  document.querySelectorAll("form[data-autosave-url]").forEach((form) => {
    const status = form.querySelector(".autosave-status");
    let timer = null;
    let dirty = false;
    const save = async () => {
      if (!dirty) return;
      dirty = false;
      if (status) status.textContent = "Saving…";
      try {
        const response = await fetch(form.dataset.autosaveUrl, {
          method: "POST", body: new FormData(form), credentials: "same-origin",
          headers: { "X-Requested-With": "fetch" },
        });
        const data = await response.json().catch(() => ({}));
        if (status) status.textContent = response.ok ? `Draft saved ${data.saved_at || ""}` : (data.error || "Not saved");
      } catch (e) {
        dirty = true;
        if (status) status.textContent = "Not saved (offline?) — will retry";
      }
    };
    form.addEventListener("input", () => { dirty = true; clearTimeout(timer); timer = setTimeout(save, 1500); });
    // A normal submit saves the same fields; don't also fire the autosave beacon on unload.
    form.addEventListener("submit", () => { dirty = false; clearTimeout(timer); });
    setInterval(save, 10000);
    window.addEventListener("beforeunload", () => { if (dirty) navigator.sendBeacon && navigator.sendBeacon(form.dataset.autosaveUrl, new FormData(form)); });
  });
  // Confirm before destructive or final actions.
  document.querySelectorAll("[data-confirm]").forEach((el) => {
    el.addEventListener("click", (event) => { if (!window.confirm(el.dataset.confirm)) event.preventDefault(); });
  });
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
