/* ServiceNow emulator, top frame: the Agent Workspace page and the TopFrame end of the OpenFrame
   wire protocol (NOW.PostMessage). Only messages from the configured widget origin are accepted,
   as glide.ui.concourse.onmessage_enforce_same_origin_whitelist does on a real instance. */
(function () {
  "use strict";
  var TYPE = "NOW.PostMessage";
  var WIDGET = document.body.dataset.widgetOrigin;
  var log = window.EmulatorLog;

  // --- records -------------------------------------------------------------------------------
  // The records live in the instance (the emulator's Rust side), so that the Table API finds
  // what this page shows; the page fetches them once, then polls the record in view for its
  // activity stream, which the phone-log work-notes rule writes.
  var RECORDS = [];
  var current = null;
  var ACTIVITY_POLL_MS = 1000;

  function showRecord(record, note) {
    current = record;
    var article = document.getElementById("record");
    article.replaceChildren();
    var heading = document.createElement("h2");
    heading.textContent = record.title;
    var table = document.createElement("p");
    table.className = "emu-note";
    table.textContent = record.table + " · sys_id " + record.sys_id + (note ? " · " + note : "");
    var fields = document.createElement("dl");
    fields.className = "sn-fields";
    record.fields.forEach(function (field) {
      var dt = document.createElement("dt");
      dt.textContent = field.label;
      var dd = document.createElement("dd");
      var value = document.createElement("span");
      value.textContent = field.value;
      dd.append(value);
      if (field.phone) {
        value.className = "emu-phone";
        var call = document.createElement("button");
        call.type = "button";
        call.className = "sn-call";
        call.textContent = "☎ Call";
        call.setAttribute("aria-label", "Call " + field.value);
        call.addEventListener("click", function () { clickToCall(field.value, record.contact_name, record); });
        dd.append(call);
      }
      fields.append(dt, dd);
    });
    article.append(heading, table, fields);
    document.querySelectorAll("#nav button").forEach(function (button) {
      if (button.dataset.sysId === record.sys_id) button.setAttribute("aria-current", "page");
      else button.removeAttribute("aria-current");
    });
    shownActivity = "";
    showActivity(record, []);
    refreshActivity();
  }

  function showNewRecord(entity, query) {
    var prefill = (query.split("sysparm_query=")[1] || "").split("^").filter(Boolean).map(function (pair) {
      var parts = pair.split("=");
      return { column: parts[0], label: parts[0], value: decodeURIComponent(parts.slice(1).join("=")), phone: false };
    });
    showRecord({ table: entity, sys_id: "-1", label: "New record", title: "New " + entity + " record",
                 contact_name: "", fields: prefill }, "not saved");
  }

  // --- the activity stream -------------------------------------------------------------------
  var shownActivity = "";

  function showActivity(record, entries) {
    var list = document.getElementById("activity-list");
    var empty = document.getElementById("activity-empty");
    list.replaceChildren();
    entries.forEach(function (entry) {
      var item = document.createElement("li");
      item.className = "sn-entry";
      var head = document.createElement("div");
      head.className = "sn-entry__head";
      var author = document.createElement("strong");
      author.textContent = entry.author;
      var time = document.createElement("time");
      time.textContent = entry.time;
      head.append(author, " · " + entry.kind + " · ", time);
      var text = document.createElement("p");
      text.className = "sn-entry__text";
      text.textContent = entry.text;
      item.append(head, text);
      list.append(item);
    });
    empty.hidden = entries.length > 0;
  }

  function refreshActivity() {
    var record = current;
    if (!record || record.sys_id === "-1") return;
    fetch("/emulator/activity/" + encodeURIComponent(record.sys_id), { cache: "no-store" })
      .then(function (response) { return response.text(); })
      .then(function (text) {
        if (record !== current || text === shownActivity) return;
        shownActivity = text;
        showActivity(record, JSON.parse(text));
      })
      .catch(function () { /* the next poll tries again */ });
  }

  function loadRecords(records) {
    RECORDS = records;
    RECORDS.forEach(function (record) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = record.label;
      button.dataset.sysId = record.sys_id;
      button.addEventListener("click", function () { showRecord(record); });
      document.getElementById("nav").append(button);
    });
    showRecord(RECORDS[0]);
    setInterval(refreshActivity, ACTIVITY_POLL_MS);
  }

  // --- the OpenFrame panel ------------------------------------------------------------------
  var panel = document.getElementById("of-panel");
  var frame = document.getElementById("openframe");
  var size = { width: 373, height: 300 };

  function applySize() {
    frame.style.width = size.width + "px";
    frame.style.height = size.height + "px";
  }
  applySize();

  function send(eventName, args) {
    var message = JSON.stringify({ type: TYPE, eventName: eventName, args: args });
    frame.contentWindow.postMessage(message, WIDGET);
    log.add("out", eventName, args);
  }

  function respond(id, result, isSuccess) {
    var message = JSON.stringify({ type: TYPE, eventName: "openframe_response",
                                   args: { context: { id: id, result: result }, isSuccess: isSuccess } });
    frame.contentWindow.postMessage(message, WIDGET);
  }

  function setVisible(visible) {
    if (panel.hidden === !visible) return;
    panel.hidden = !visible;
    send(visible ? "openframe_shown" : "openframe_hidden", {});
  }

  document.getElementById("of-close").addEventListener("click", function () { setVisible(false); });
  document.getElementById("of-launch").addEventListener("click", function () { setVisible(true); });
  window.addEventListener("beforeunload", function () { send("openframe_before_destroy", {}); });

  // The sn_openframe_configuration record, as init's success callback receives it.
  var CONFIGURATION = {
    sys_id: "0f0f0000000000000000000000000001", name: "Framephone", title: "Framephone", subtitle: "",
    order: 100, active: true, url: WIDGET + "/?topDomain=" + location.origin, width: 373, height: 300,
    icon_class: "icon-phone", enable_collapsed_view: false, show_presence_indicator: false,
    configuration: JSON.stringify({ tenant: "demo" }),
  };

  function isDimension(value) { return typeof value === "number" && isFinite(value) && value >= 0; }

  function refuse(name, args, reason) {
    log.add("in", name, reason + " " + JSON.stringify(args), "refused");
  }

  var handlers = {
    openframe_init: function (args, event) {
      log.add("in", "openframe_init", args);
      // The reply goes to the frame's origin; it tells the library where the top frame lives.
      event.source.postMessage(JSON.stringify({ type: TYPE, eventName: "openframe_init",
                                                args: { topDomain: location.origin } }), event.origin);
    },
    openframe_request: function (args) {
      log.add("in", args.method, args.payload);
      if (args.method === "openframe_get_config") respond(args.id, CONFIGURATION, true);
      else if (args.method === "openframe_visible") respond(args.id, !panel.hidden, true);
      else respond(args.id, "Unknown request " + args.method, false);
    },
    openframe_show: function (args) { log.add("in", "show", args); setVisible(true); },
    openframe_hide: function (args) { log.add("in", "hide", args); setVisible(false); },
    openframe_set_header_title: function (args) {
      if ("title" in args) { log.add("in", "setTitle", args); document.getElementById("of-title").textContent = args.title; }
      if ("subtitle" in args) { log.add("in", "setSubtitle", args); document.getElementById("of-subtitle").textContent = args.subtitle; }
    },
    openframe_set_size: function (args) {
      if (!isDimension(args.width) || !isDimension(args.height)) return refuse("setSize", args, "not a size:");
      log.add("in", "setSize", args);
      size = { width: args.width, height: args.height };
      applySize();
    },
    openframe_set_width: function (args) {
      if (!isDimension(args.width)) return refuse("setWidth", args, "not a width:");
      log.add("in", "setWidth", args);
      size.width = args.width;
      applySize();
    },
    openframe_set_height: function (args) {
      if (!isDimension(args.height)) return refuse("setHeight", args, "not a height:");
      log.add("in", "setHeight", args);
      size.height = args.height;
      applySize();
    },
    openframe_set_header_icons: function (args) {
      log.add("in", "setIcons", args);
      var box = document.getElementById("of-icons");
      box.replaceChildren();
      (args.icons || []).forEach(function (icon) {
        var button = document.createElement("button");
        button.type = "button";
        button.setAttribute("aria-label", icon.imageTitle || icon.id || "icon");
        var image = document.createElement("img");
        image.src = icon.imageURL;
        image.alt = "";
        button.append(image);
        button.addEventListener("click", function () {
          send("openframe_icon_clicked", icon);
          send("openframe_header_icon_clicked", icon);
        });
        box.append(button);
      });
    },
    openframe_set_header_title_icon: function (args) {
      log.add("in", "setTitleIcon", args);
      var box = document.getElementById("of-title-icon");
      box.replaceChildren();
      if (!args.icon || !args.icon.imageURL) return;
      var image = document.createElement("img");
      image.src = args.icon.imageURL;
      image.alt = args.icon.imageTitle || "";
      image.width = 16;
      image.addEventListener("click", function () { send("openframe_title_icon_clicked", args.icon); });
      box.append(image);
    },
    openframe_set_top_frame_url: function (args) {
      if (args.type === "url") {
        if (/^(?:[a-z]+:)?\/\//i.test(args.url || "")) return refuse("openCustomURL", args, "Custom url cannot be absolute:");
        log.add("in", "openCustomURL", args);
        return;
      }
      log.add("in", args.type === "list" ? "openServiceNowList" : "openServiceNowForm", args);
      if (args.type !== "form") return;
      var id = /(?:^|&)sys_id=([^&]*)/.exec(args.query || "");
      var match = RECORDS.filter(function (r) { return id && r.sys_id === id[1] && (!args.entity || r.table === args.entity); })[0];
      if (match) showRecord(match, "opened by the phone");
      else showNewRecord(args.entity || "record", args.query || "");
    },
    openframe_set_frame_mode: function (args) { log.add("in", "setFrameMode", args); },
    openframe_set_presence_indicator: function (args) { log.add("in", "setPresenceIndicator", args); },
  };

  window.addEventListener("message", function (event) {
    if (event.origin !== WIDGET || event.source !== frame.contentWindow) {
      log.add("in", "message", "from " + event.origin + " dropped: not on the URL allow list", "refused");
      return;
    }
    var data;
    try { data = JSON.parse(event.data); } catch (error) { return; }
    if (!data || data.type !== TYPE) return;
    var handler = handlers[data.eventName];
    if (handler) handler(data.args || {}, event);
    else refuse(String(data.eventName), data.args, "unknown event:");
  });

  // --- click-to-call ------------------------------------------------------------------------
  function clickToCall(number, name, record) {
    var shape = document.getElementById("payload-shape").value;
    var payload;
    if (shape === "metaData") {
      payload = { type: "OUTGOING_CALL", data: { metaData: { phoneNumber: number, name: name, table: record.table, sys_id: record.sys_id } } };
    } else if (shape === "phoneNumber") {
      payload = { type: "OUTGOING_CALL", data: { phoneNumber: number, name: name } };
    } else if (shape === "context") {
      payload = { context: { phone_number: number, name: name } };
    } else {
      payload = { type: "OUTGOING_CALL", data: { telephoneNumber: number, name: name } };
    }
    send("openframe_communication", payload);
  }

  // The panel loads once the records are in, so that every form the phone opens can be shown.
  fetch("/emulator/records", { cache: "no-store" })
    .then(function (response) { return response.json(); })
    .then(function (records) {
      loadRecords(records);
      frame.src = WIDGET + "/?topDomain=" + encodeURIComponent(location.origin);
    })
    .catch(function (error) { log.add("in", "records", "could not load the records: " + error, "refused"); });
})();
