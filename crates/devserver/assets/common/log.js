/* Emulator log: every host API call the emulator receives or event it sends, shown on the page
   so a person watching the demo can follow, and readable by the end-to-end tests. The newest
   MAX_ENTRIES are kept: a page left open for a shift would otherwise grow with every call. */
(function () {
  "use strict";
  var MAX_ENTRIES = 500;
  var list = null;
  var pending = [];
  function render(entry) {
    var item = document.createElement("li");
    item.className = "emu-log__entry emu-log__entry--" + entry.outcome;
    item.dataset.name = entry.name;
    item.dataset.outcome = entry.outcome;
    var time = document.createElement("time");
    time.textContent = entry.time;
    var name = document.createElement("strong");
    name.textContent = (entry.direction === "in" ? "← " : "→ ") + entry.name;
    var detail = document.createElement("code");
    detail.textContent = entry.detail;
    item.append(time, " ", name, " ", detail);
    list.prepend(item);
    while (list.children.length > MAX_ENTRIES) list.lastElementChild.remove();
  }
  window.EmulatorLog = {
    /** direction: "in" (widget → host) or "out" (host → widget); outcome: ok | refused. */
    add: function (direction, name, detail, outcome) {
      var text = typeof detail === "string" ? detail : JSON.stringify(detail);
      var entry = {
        direction: direction,
        name: name,
        detail: text === undefined ? "" : text,
        outcome: outcome || "ok",
        time: new Date().toLocaleTimeString(),
      };
      if (list) render(entry); else pending.push(entry);
    },
  };
  document.addEventListener("DOMContentLoaded", function () {
    list = document.getElementById("host-log");
    pending.forEach(render);
    pending = [];
  });
})();
