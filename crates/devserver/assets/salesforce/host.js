/* Salesforce emulator, top frame: the Lightning or Classic page around the softphone, the mock
   records and their activity timelines, and the Salesforce end of Open CTI. Only messages from
   the call center's adapter origin, sent by the softphone frame itself, are accepted. */
(function () {
  "use strict";
  var MODE = document.body.dataset.mode; // "lightning" | "classic"
  var WIDGET = document.body.dataset.widgetOrigin;
  var log = window.EmulatorLog;
  var HEIGHT = [240, 2560];
  var WIDTH = [200, 1920];

  // --- records: the org lives on the emulator's server (/emulator/…), so reloads keep it ------
  var RECORDS = [];
  // Each record's newest Tasks (oldest of them first) and how many it has, by record Id: what
  // its page shows, as the org's timeline and Activity History show only the newest until
  // asked for more. The org's other Tasks stay on the server.
  var activities = {};
  var ACTIVITIES_SHOWN = 10;
  var clickToDial = false;
  var panelVisible = true;
  var searchResults = null;
  var newRecord = null; // {entityName, values} while a new-record form is shown
  var params = new URLSearchParams(location.search);
  var current = null;

  function byId(id) { return RECORDS.filter(function (r) { return r.Id === id; })[0]; }

  function getJson(path) { return fetch(path, { cache: "no-store" }).then(function (r) { return r.json(); }); }
  function postJson(path, body) {
    return fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
      .then(function (r) { return r.json(); });
  }
  function keepActivities(list) {
    activities = {};
    list.forEach(function (task) {
      [task.WhoId, task.WhatId].filter(function (id, index, ids) { return id && ids.indexOf(id) === index; })
        .forEach(function (id) {
          var kept = activities[id] || (activities[id] = { newest: [], count: 0 });
          kept.count += 1;
          kept.newest.push(task);
          if (kept.newest.length > ACTIVITIES_SHOWN) kept.newest.shift();
        });
    });
  }
  function loadTasks() { return getJson("/emulator/tasks").then(function (list) { keepActivities(list); render(); }); }

  var ready = Promise.all([getJson("/emulator/records"), getJson("/emulator/tasks")]).then(function (loaded) {
    RECORDS = loaded[0];
    keepActivities(loaded[1]);
    // Records the org gained after the page was written (tests add their own) get a tab too.
    var nav = document.querySelector("nav[aria-label=Records]");
    RECORDS.forEach(function (record) {
      if (document.querySelector("[data-record-id='" + record.Id + "']")) return;
      var link = document.createElement("a");
      link.href = MODE === "classic" ? "/classic?record=" + encodeURIComponent(record.Id) : "#";
      link.dataset.recordId = record.Id;
      link.textContent = record.Name;
      listenForNavigation(link);
      nav.append(link);
    });
    current = byId(params.get("record")) || RECORDS[0];
    if (params.get("new")) {
      newRecord = { entityName: params.get("new"), values: { Phone: params.get("Phone") || "" } };
    }
    render();
  });

  function recordUrl(record) {
    return MODE === "classic" ? "/" + record.Id : "/lightning/r/" + record.objectType + "/" + record.Id + "/view";
  }

  // --- page rendering -------------------------------------------------------------------------
  function render() {
    var main = document.getElementById("record");
    if (!current) return;
    main.replaceChildren();
    if (newRecord) return renderNewRecord(main);
    if (searchResults) return renderSearch(main);
    var heading = document.createElement("h2");
    heading.textContent = current.objectType + ": " + current.Name;
    var fields = document.createElement("dl");
    fields.className = "sf-fields";
    current.fields.forEach(function (field) {
      var dt = document.createElement("dt");
      dt.textContent = field[0];
      var dd = document.createElement("dd");
      if (field[2] === "phone" && clickToDial) {
        var link = document.createElement("a");
        link.href = "#";
        link.className = "emu-dial";
        link.textContent = field[1];
        link.addEventListener("click", function (event) { event.preventDefault(); dial(field[1], current); });
        dd.append(link);
      } else {
        dd.textContent = field[1];
        if (field[2] === "phone") dd.className = "emu-phone";
      }
      fields.append(dt, dd);
    });
    var activity = document.createElement("section");
    activity.className = "sf-activity";
    activity.setAttribute("aria-label", MODE === "classic" ? "Activity History" : "Activity");
    var title = document.createElement("h3");
    title.textContent = MODE === "classic" ? "Activity History" : "Activity";
    var list = document.createElement("ul");
    // Newest first, as the timeline and Activity History list them, and only the newest few,
    // as they show them until the agent asks for more.
    var own = activities[current.Id] || { newest: [], count: 0 };
    own.newest.slice().reverse().forEach(function (task) {
      var item = document.createElement("li");
      item.textContent = "☎ " + (task.Subject || "Call") + (task.CallDurationInSeconds ? " · " + task.CallDurationInSeconds + " s" : "") +
        (task.CallDisposition ? " · " + task.CallDisposition : "") + (task.Description ? " — " + task.Description : "") +
        " (" + task.Id + ")";
      list.append(item);
    });
    if (own.count > own.newest.length) {
      var more = document.createElement("li");
      more.className = "emu-note";
      more.textContent = "The newest " + own.newest.length + " of " + own.count + " activities.";
      list.append(more);
    }
    if (!list.children.length) {
      var none = document.createElement("li");
      none.className = "emu-note";
      none.textContent = "No activities yet.";
      list.append(none);
    }
    activity.append(title, list);
    main.append(heading, fields, activity);
    document.querySelectorAll("[data-record-id]").forEach(function (link) {
      if (link.dataset.recordId === current.Id) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    });
  }

  function renderNewRecord(main) {
    var heading = document.createElement("h2");
    heading.textContent = "New " + newRecord.entityName;
    var form = document.createElement("form");
    form.setAttribute("aria-label", "New " + newRecord.entityName);
    form.className = "sf-fields";
    Object.keys(newRecord.values).forEach(function (name) {
      var label = document.createElement("label");
      label.textContent = name;
      var input = document.createElement("input");
      input.value = newRecord.values[name];
      label.append(" ", input);
      form.append(label);
    });
    main.append(heading, form);
  }

  function renderSearch(main) {
    var heading = document.createElement("h2");
    heading.textContent = "Search results for " + searchResults.term;
    var list = document.createElement("ul");
    searchResults.matches.forEach(function (record) {
      var item = document.createElement("li");
      item.textContent = record.objectType + ": " + record.Name;
      list.append(item);
    });
    if (!searchResults.matches.length) list.textContent = "No records match.";
    main.append(heading, list);
  }

  function navigate(record) {
    if (MODE === "classic") {
      // Classic pages reload whole, softphone included.
      location.assign("/classic?record=" + encodeURIComponent(record.Id));
      return;
    }
    current = record;
    searchResults = null;
    newRecord = null;
    render();
    emit("navigationChange", appViewInfo());
  }

  function showNewRecord(entityName, values) {
    if (MODE === "classic") {
      location.assign("/classic?new=" + encodeURIComponent(entityName) + "&Phone=" + encodeURIComponent(values.Phone || ""));
      return;
    }
    newRecord = { entityName: entityName, values: values };
    render();
  }

  /** Keeps the screen pop in the org's log (tests read it), then performs it. */
  function popTo(pop, perform) {
    pop.mode = MODE;
    return postJson("/emulator/screen-pops", pop).then(function () { return { ok: true, value: null, after: perform }; });
  }

  function listenForNavigation(link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      ready.then(function () { navigate(byId(link.dataset.recordId)); });
    });
  }
  document.querySelectorAll("[data-record-id]").forEach(listenForNavigation);

  // --- the softphone --------------------------------------------------------------------------
  var frame = document.getElementById("softphone");
  var nonce = Math.random().toString(16).slice(2);
  var query = "?sfdcIFrameOrigin=" + encodeURIComponent(location.origin) + "&sfdcIFrameHost=web&nonce=" + nonce +
    "&isAdapterUrl=true" + (MODE === "lightning" ? "&mode=Lightning" : "");
  frame.src = WIDGET + "/" + query;

  function emit(event, payload) {
    frame.contentWindow.postMessage({ opencti: 1, event: event, payload: payload }, WIDGET);
    log.add("out", event, payload);
  }

  function appViewInfo() {
    var info = { url: location.origin + recordUrl(current), recordId: current.Id, recordName: current.Name,
                 objectType: current.objectType, personAccount: false };
    if (current.idField) info[current.idField] = current.Id;
    return info;
  }

  function pageInfo() {
    return JSON.stringify({ url: location.origin + recordUrl(current), objectId: current.Id, objectName: current.Name,
                            object: current.objectType, displayName: current.objectType + "s" });
  }

  function dial(number, record) {
    if (MODE === "classic") {
      var payload = { number: number, objectId: record.Id, objectName: record.Name, displayName: record.objectType + "s" };
      if (record.idField) payload[record.idField] = record.Id;
      emit("clickToDial", JSON.stringify(payload));
    } else {
      var info = { number: number, recordId: record.Id, recordName: record.Name, objectType: record.objectType,
                   personAccount: false, params: "" };
      if (record.idField) info[record.idField] = record.Id;
      emit("clickToDial", info);
    }
  }

  function setPanelVisible(visible) {
    panelVisible = visible;
    document.getElementById("softphone-panel").hidden = !visible;
    var item = document.getElementById("utility-item");
    if (item) item.setAttribute("aria-expanded", String(visible));
  }

  function inRange(value, range) { return typeof value === "number" && value >= range[0] && value <= range[1]; }

  function fail(message) { return { ok: false, error: message }; }

  function saveTask(value) {
    return postJson("/emulator/tasks", { value: value || {} }).then(function (answer) {
      if (!answer.ok) return fail(answer.error);
      return loadTasks().then(function () { return { ok: true, value: { recordId: answer.value.recordId } }; });
    });
  }

  function search(args, deferred) {
    var term = String(args.searchParams || "");
    return postJson("/emulator/search", { term: term, mode: MODE, deferred: deferred }).then(function (answer) {
      var result = MODE === "classic" ? JSON.stringify(answer.result) : answer.result;
      if (deferred) return { ok: true, value: result };
      var matches = answer.matches.map(byId).filter(Boolean);
      if (matches.length === 1) {
        return popTo({ type: "sobject", recordId: matches[0].Id }, function () { navigate(matches[0]); })
          .then(function (outcome) { outcome.value = result; return outcome; });
      }
      return { ok: true, value: result, after: function () {
        if (MODE === "classic") return;
        searchResults = { term: term, matches: matches };
        newRecord = null;
        render();
      } };
    });
  }

  var handlers = {
    enableClickToDial: function () { clickToDial = true; render(); return { ok: true, value: null }; },
    disableClickToDial: function () { clickToDial = false; render(); return { ok: true, value: null }; },
    onClickToDial: function () { return { ok: true }; },
    onNavigationChange: function () { return { ok: true }; },
    onFocus: function () { return { ok: true }; },
    getAppViewInfo: function () { return { ok: true, value: appViewInfo() }; },
    getPageInfo: function () { return { ok: true, value: pageInfo() }; },
    isInConsole: function () { return { ok: true, value: false }; },
    screenPop: function (args) {
      var type = args.type;
      var target = args.params || {};
      if (type === "sobject") {
        var record = byId(target.recordId);
        if (!record) return fail("No record with Id " + target.recordId);
        return popTo({ type: "sobject", recordId: record.Id }, function () { navigate(record); });
      }
      if (type === "newRecord") {
        if (typeof target.entityName !== "string") return fail("NEW_RECORD_MODAL needs params.entityName");
        var values = target.defaultFieldValues || args.defaultFieldValues || {};
        return popTo({ type: "newRecord", entityName: target.entityName, defaultFieldValues: values },
                     function () { showNewRecord(target.entityName, values); });
      }
      if (type === "url") {
        var url = String(target.url || "");
        if (/^(?:[a-z]+:)?\/\//i.test(url)) return fail("The URL must be relative");
        var newContact = /^\/003\/e(?:\?(.*))?$/.exec(url);
        if (newContact) {
          var phone = new URLSearchParams(newContact[1] || "").get("con10") || "";
          return popTo({ type: "url", url: url }, function () { showNewRecord("Contact", { Phone: phone }); });
        }
        var match = RECORDS.filter(function (r) { return url.indexOf(r.Id) >= 0; })[0];
        return popTo({ type: "url", url: url }, function () { if (match) navigate(match); });
      }
      return fail("Unsupported screen pop type " + type);
    },
    searchAndScreenPop: function (args) { return search(args, args.deferred === true); },
    searchAndGetScreenPopUrl: function (args) { return search(args, true); },
    saveLog: function (args) { return saveTask(args.value); },
    refreshView: function () { return loadTasks().then(function () { return { ok: true, value: null }; }); },
    refreshPage: function () { return loadTasks().then(function () { return { ok: true, value: true }; }); },
    refreshRelatedList: function () { return loadTasks().then(function () { return { ok: true, value: true }; }); },
    isSoftphonePanelVisible: function () { return { ok: true, value: { visible: panelVisible } }; },
    isVisible: function () { return { ok: true, value: panelVisible }; },
    setSoftphonePanelVisibility: function (args) {
      if (typeof args.visible !== "boolean") return fail("visible must be true or false");
      setPanelVisible(args.visible);
      return { ok: true, value: null };
    },
    setVisible: function () { return fail("setVisible is available only in the Service Cloud console"); },
    setSoftphonePanelHeight: function (args) {
      if (!inRange(args.heightPX, HEIGHT)) return fail("heightPX must be a number from 240 to 2560");
      frame.style.height = args.heightPX + "px";
      return { ok: true, value: null };
    },
    setSoftphonePanelWidth: function (args) {
      if (!inRange(args.widthPX, WIDTH)) return fail("widthPX must be a number from 200 to 1920");
      frame.style.width = args.widthPX + "px";
      return { ok: true, value: null };
    },
    setSoftphonePanelLabel: function (args) { return setText("softphone-label", args.label); },
    setSoftphoneItemLabel: function (args) { return setText("utility-label", args.label); },
    setSoftphonePanelIcon: function (args) { return setText("softphone-icon", iconFor(args.key)); },
    setSoftphoneItemIcon: function (args) { return setText("utility-icon", iconFor(args.key)); },
    notifyInitializationComplete: function () {
      var spinner = document.getElementById("softphone-loading");
      if (spinner) spinner.hidden = true;
      return { ok: true, value: null };
    },
    getCallCenterSettings: function () {
      return { ok: true, value: {
        "/reqGeneralInfo/reqInternalName": "FramephoneCallCenter",
        "/reqGeneralInfo/reqDisplayName": "Framephone",
        "/reqGeneralInfo/reqAdapterUrl": WIDGET + "/",
        "/reqGeneralInfo/reqUseApi": "true",
        "/reqGeneralInfo/reqSoftphoneHeight": "420",
        "/reqGeneralInfo/reqSoftphoneWidth": "373",
        "/reqGeneralInfo/reqSalesforceCompatibilityMode": MODE === "classic" ? "Classic" : "Lightning",
      } };
    },
    getSoftphoneLayout: function () {
      var popOn = { screenPopSettings: { NoMatch: { screenPopType: "PopToNewEntity", screenPopData: "Contact" },
                                         SingleMatch: { screenPopType: "PopToEntity" },
                                         MultipleMatches: { screenPopType: "PopToSearch" } } };
      return { ok: true, value: { Inbound: popOn, Outbound: popOn, Internal: popOn } };
    },
    getDirectoryNumbers: function () { return { ok: true, value: JSON.stringify([]) }; },
  };

  var ICONS = { call: "☎", end_call: "☎", unmuted: "♪", muted: "×", hold: "‖", user: "☺" };
  function iconFor(key) { return ICONS[key] || "☎"; }

  function setText(id, text) {
    if (typeof text !== "string" || !text.length) return fail("label must be a non-empty string");
    if (text.length > 80) return fail("label must be at most 80 characters");
    document.getElementById(id).textContent = text;
    return { ok: true, value: null };
  }

  // Each flavour's page speaks its own Open CTI only: the other library gets no answer at all.
  var OWN_API = MODE === "classic" ? "sforce.interaction." : "sforce.opencti.";

  window.addEventListener("message", function (event) {
    if (event.origin !== WIDGET || event.source !== frame.contentWindow) {
      log.add("in", "message", "from " + event.origin + " dropped: not the call center's adapter", "refused");
      return;
    }
    var data = event.data;
    if (!data || data.opencti !== 1 || typeof data.method !== "string") return;
    if (String(data.api).indexOf(OWN_API) !== 0) {
      log.add("in", data.api, "not answered: this page speaks " + OWN_API + "*", "unanswered");
      return;
    }
    ready.then(function () {
      var handler = handlers[data.method];
      return handler ? handler(data.args || {}) : fail(data.api + " is not a function");
    }).then(function (outcome) {
      log.add("in", data.api, data.args, outcome.ok ? "ok" : "refused");
      if (!outcome.ok) log.add("out", "error", outcome.error, "refused");
      frame.contentWindow.postMessage({ opencti: 1, id: data.id, ok: outcome.ok, value: outcome.value === undefined ? null : outcome.value,
                                        error: outcome.ok ? null : outcome.error }, WIDGET);
      // A screen pop answers first, then moves: Classic's page (the softphone with it) reloads,
      // so the answer gets a moment to reach the frame before it goes.
      if (outcome.after) setTimeout(outcome.after, MODE === "classic" ? 100 : 0);
    });
  });

  if (MODE === "classic") window.addEventListener("focus", function () { if (current) emit("focus", { result: pageInfo() }); });

  var item = document.getElementById("utility-item");
  if (item) item.addEventListener("click", function () { setPanelVisible(!panelVisible); });
  var minimise = document.getElementById("softphone-minimise");
  if (minimise) minimise.addEventListener("click", function () { setPanelVisible(false); });

  render();
})();
