"use strict";
// The clock control: moves the emulator's fake clock for everyone (the bot's timers follow it).
(function () {
  const now = document.getElementById("now");
  function show(iso) {
    if (!iso) return;
    now.textContent = new Date(iso).toLocaleString(undefined, {
      weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
    });
    now.dataset.iso = iso;
  }
  async function refresh() {
    const r = await fetch("/api/clock");
    if (r.ok) show((await r.json()).now);
  }
  for (const b of document.querySelectorAll(".clock button")) {
    b.addEventListener("click", async () => {
      b.disabled = true;
      try {
        const r = await fetch("/api/clock", {
          method: "POST", headers: {"Content-Type": "application/json"},
          body: JSON.stringify({step: b.dataset.step}),
        });
        const body = await r.json();
        if (!r.ok && window.demoToast) window.demoToast(body.error || "The clock did not move.");
        show(body.now);
      } finally {
        b.disabled = false;
      }
    });
  }
  window.demoClock = {show, refresh};
  refresh();
  setInterval(refresh, 5000);
})();
