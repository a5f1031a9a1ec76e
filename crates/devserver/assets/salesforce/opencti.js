/* Salesforce emulator: a stand-in for /support/api/60.0/lightning/opencti_min.js. It runs in the
   softphone frame, needs the URL parameters Salesforce appends, answers every method through
   callback({success, returnValue, errors}) and accepts messages from Salesforce's origin only. */
(function () {
  "use strict";
  var origin = null;
  new URLSearchParams(location.search).forEach(function (value, key) {
    if (key.toLowerCase() === "sfdciframeorigin") origin = value;
  });
  if (!origin || window.parent === window) {
    throw new Error("Failed to initialize Open CTI. Ensure that it is loaded from the right frame with correct URL parameters");
  }

  var sequence = 0;
  var pending = {};
  var listeners = { clickToDial: [], navigationChange: [] };

  function withoutFunctions(args) {
    var copy = {};
    Object.keys(args || {}).forEach(function (key) {
      if (typeof args[key] !== "function") copy[key] = args[key];
    });
    return copy;
  }

  function invoke(method, args) {
    args = args || {};
    var id = ++sequence;
    pending[id] = args.callback;
    window.parent.postMessage({ opencti: 1, id: id, api: "sforce.opencti." + method, method: method,
                                args: withoutFunctions(args) }, origin);
  }

  function listen(method, event) {
    return function (args) {
      if (!args || typeof args.listener !== "function") throw new Error(method + " needs a listener function");
      listeners[event].push(args.listener);
      invoke(method, {});
    };
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== origin || event.source !== window.parent) return;
    var data = event.data;
    if (!data || data.opencti !== 1) return;
    if (data.event) {
      (listeners[data.event] || []).forEach(function (listener) { listener(data.payload); });
      return;
    }
    var callback = pending[data.id];
    delete pending[data.id];
    if (typeof callback === "function") {
      callback({ success: data.ok, returnValue: data.ok ? data.value : null,
                 errors: data.ok ? null : [{ description: data.error }] });
    }
  });

  var api = {
    SCREENPOP_TYPE: { SOBJECT: "sobject", URL: "url", OBJECTHOME: "objecthome", LIST: "list", SEARCH: "search",
                      NEW_RECORD_MODAL: "newRecord", FLOW: "flow" },
    CALL_TYPE: { INBOUND: "inbound", OUTBOUND: "outbound", INTERNAL: "internal" },
    onClickToDial: listen("onClickToDial", "clickToDial"),
    onNavigationChange: listen("onNavigationChange", "navigationChange"),
  };
  ["enableClickToDial", "disableClickToDial", "getAppViewInfo", "getCallCenterSettings", "getSoftphoneLayout",
   "screenPop", "searchAndScreenPop", "saveLog", "refreshView", "isSoftphonePanelVisible",
   "setSoftphonePanelVisibility", "setSoftphonePanelHeight", "setSoftphonePanelWidth", "setSoftphonePanelIcon",
   "setSoftphonePanelLabel", "setSoftphoneItemIcon", "setSoftphoneItemLabel", "notifyInitializationComplete",
  ].forEach(function (method) {
    api[method] = function (args) { invoke(method, args); };
  });

  window.sforce = window.sforce || {};
  window.sforce.opencti = api;
})();
