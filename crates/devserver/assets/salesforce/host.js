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

  // --- records -------------------------------------------------------------------------------
  var RECORDS = [
    { Id: "003Dn00000LenaPAR", objectType: "Contact", Name: "Lena Park", idField: "contactId",
      fields: [["Title", "VP Operations"], ["Account", "Globex"], ["Phone", "(415) 555-0131", "phone"],
               ["Mobile", "+1 415 555 0177", "phone"], ["Email", "lena.park@globex.example"]] },
    { Id: "001Dn00000GlobexA", objectType: "Account", Name: "Globex", idField: "accountId",
      fields: [["Type", "Customer - Direct"], ["Phone", "415-555-0142", "phone"], ["Industry", "Manufacturing"]] },
    { Id: "00QDn00000RaviSha", objectType: "Lead", Name: "Ravi Shah",
      fields: [["Company", "Initech"], ["Phone", "+1 (628) 555-0199", "phone"], ["Lead Status", "Working - Contacted"]] },
  ];
  var tasks = []; // Task records created by saveLog
  var clickToDial = false;
  var panelVisible = true;
  var searchResults = null;

  function byId(id) { return RECORDS.filter(function (r) { return r.Id === id; })[0]; }
  var params = new URLSearchParams(location.search);
  var current = byId(params.get("record")) || RECORDS[0];

  function digits(text) { return String(text || "").replace(/\D/g, ""); }

  function phoneMatches(record, number) {
    var wanted = digits(number);
    return wanted.length >= 4 && record.fields.some(function (f) {
      var have = digits(f[1]);
      return f[2] === "phone" && (have === wanted || have.slice(-10) === wanted.slice(-10));
    });
  }

  function recordUrl(record) {
    return MODE === "classic" ? "/" + record.Id : "/lightning/r/" + record.objectType + "/" + record.Id + "/view";
  }

  // --- page rendering -------------------------------------------------------------------------
  function render() {
    var main = document.getElementById("record");
    main.replaceChildren();
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
    tasks.filter(function (t) { return t.WhoId === current.Id || t.WhatId === current.Id; }).forEach(function (task) {
      var item = document.createElement("li");
      item.textContent = "☎ " + (task.Subject || "Call") + (task.CallDurationInSeconds ? " · " + task.CallDurationInSeconds + " s" : "") +
        (task.Description ? " — " + task.Description : "") + " (" + task.Id + ")";
      list.append(item);
    });
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
    render();
    emit("navigationChange", appViewInfo());
  }

  document.querySelectorAll("[data-record-id]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      navigate(byId(link.dataset.recordId));
    });
  });

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

  function nextTaskId() { return "00TDn0000" + String(tasks.length + 1).padStart(8, "0"); }

  function saveTask(value) {
    value = value || {};
    if (value.Id) {
      var task = tasks.filter(function (t) { return t.Id === value.Id; })[0];
      if (!task) return fail("Record " + value.Id + " was not found");
      Object.assign(task, value);
      render();
      return { ok: true, value: { recordId: task.Id } };
    }
    if (!value.entityApiName) return fail("saveLog needs entityApiName to create a record, or Id to update one");
    if (value.entityApiName !== "Task") return fail("This org lets the softphone create Task records only");
    var created = Object.assign({}, value, { Id: nextTaskId() });
    delete created.entityApiName;
    tasks.push(created);
    render();
    return { ok: true, value: { recordId: created.Id } };
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
        navigate(record);
        return { ok: true, value: null };
      }
      if (type === "url") {
        if (/^(?:[a-z]+:)?\/\//i.test(target.url || "")) return fail("The URL must be relative");
        var match = RECORDS.filter(function (r) { return (target.url || "").indexOf(r.Id) >= 0; })[0];
        if (match) navigate(match);
        return { ok: true, value: null };
      }
      return fail("Unsupported screen pop type " + type);
    },
    searchAndScreenPop: function (args) {
      var term = String(args.searchParams || "");
      var matches = RECORDS.filter(function (r) { return phoneMatches(r, term); });
      var result = {};
      matches.forEach(function (r) {
        result[r.Id] = { Id: r.Id, Name: r.Name, RecordType: r.objectType, object: r.objectType, displayName: r.objectType + "s" };
      });
      if (!args.deferred) {
        if (matches.length === 1) navigate(matches[0]);
        else if (MODE !== "classic") { searchResults = { term: term, matches: matches }; render(); }
      }
      if (MODE === "classic") result = JSON.stringify(result);
      return { ok: true, value: result };
    },
    saveLog: function (args) { return saveTask(args.value); },
    refreshView: function () { render(); return { ok: true, value: null }; },
    refreshPage: function () { render(); return { ok: true, value: null }; },
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

  window.addEventListener("message", function (event) {
    if (event.origin !== WIDGET || event.source !== frame.contentWindow) {
      log.add("in", "message", "from " + event.origin + " dropped: not the call center's adapter", "refused");
      return;
    }
    var data = event.data;
    if (!data || data.opencti !== 1 || typeof data.method !== "string") return;
    var handler = handlers[data.method];
    var outcome = handler ? handler(data.args || {}) : fail(data.api + " is not a function");
    log.add("in", data.api, data.args, outcome.ok ? "ok" : "refused");
    if (!outcome.ok) log.add("out", "error", outcome.error, "refused");
    frame.contentWindow.postMessage({ opencti: 1, id: data.id, ok: outcome.ok, value: outcome.value === undefined ? null : outcome.value,
                                      error: outcome.ok ? null : outcome.error }, WIDGET);
  });

  if (MODE === "classic") window.addEventListener("focus", function () { emit("focus", { result: pageInfo() }); });

  var item = document.getElementById("utility-item");
  if (item) item.addEventListener("click", function () { setPanelVisible(!panelVisible); });
  var minimise = document.getElementById("softphone-minimise");
  if (minimise) minimise.addEventListener("click", function () { setPanelVisible(false); });

  render();
})();
