// ovaregen clinic: small progressive enhancements; every page works without this file.
"use strict";

// Warn before an unused session ends: five minutes before (half the time when shorter). If it
// ends anyway, a form saved afterwards is kept through the next login (web/kept.py).
function warnBeforeSessionEnds() {
  const meta = document.querySelector('meta[name="session-idle-seconds"]');
  const idle = meta ? Number(meta.content) : 0;
  if (!idle) return;
  const lead = Math.min(300, idle / 2);
  window.setTimeout(() => {
    if (document.getElementById("session-warning")) return;
    const note = document.createElement("p");
    note.id = "session-warning";
    note.className = "warning";
    note.setAttribute("role", "alert");
    const minutes = Math.max(1, Math.round(lead / 60));
    note.textContent =
      `Your session ends in about ${minutes} minute${minutes === 1 ? "" : "s"} without ` +
      "activity: save what you typed. If it ends first, your entries are kept for you to " +
      "save after logging in again.";
    const main = document.querySelector("main");
    if (main) main.prepend(note);
  }, (idle - lead) * 1000);
}

document.addEventListener("DOMContentLoaded", () => {
  const back = document.getElementById("back");
  if (back) back.addEventListener("click", (e) => { e.preventDefault(); history.back(); });
  warnBeforeSessionEnds();
});
