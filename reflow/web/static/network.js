// Fills the Sync column of the network page from /fed/peers (the replication loop's status).
"use strict";
(function () {
  const words = document.getElementById("sync-words");
  const cells = document.querySelectorAll("td.sync[data-peer]");
  if (!words || cells.length === 0) return;
  function describe(status) {
    if (!status) return words.dataset.off;
    if (status.reason) return status.reason;
    if (status.last_sync_seconds_ago == null) return words.dataset.waiting;
    let text = words.dataset.synced.replace("%(s)s", String(status.last_sync_seconds_ago));
    if (status.streaming) text += " · " + words.dataset.streaming;
    return text;
  }
  async function refresh() {
    try {
      const answer = await fetch("/fed/peers", {headers: {accept: "application/json"}});
      if (!answer.ok) return;
      const byUrl = new Map((await answer.json()).peers.map((p) => [p.url, p.status]));
      cells.forEach((cell) => { cell.textContent = describe(byUrl.get(cell.dataset.peer)); });
    } catch (err) {
      // the page stays useful without the status; the next round tries again
    }
  }
  refresh();
  setInterval(refresh, 5000);
})();
