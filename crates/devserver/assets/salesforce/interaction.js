/* Salesforce emulator: a stand-in for /support/api/60.0/interaction.js (Salesforce Classic).
   Positional arguments, callbacks that receive {result, error}, and the click-to-dial payload as
   a JSON string, as the Classic API delivers them. */
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
  var listeners = { clickToDial: [], focus: [] };

  function invoke(api, method, args, callback) {
    var id = ++sequence;
    pending[id] = callback;
    window.parent.postMessage({ opencti: 1, id: id, api: api, method: method, args: args }, origin);
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
      callback({ result: data.ok ? data.value : null, error: data.ok ? null : data.error });
    }
  });

  function parseParams(text) {
    var value = {};
    new URLSearchParams(text || "").forEach(function (v, k) { value[k] = v; });
    return value;
  }

  var cti = {
    enableClickToDial: function (callback) { invoke("sforce.interaction.cti.enableClickToDial", "enableClickToDial", {}, callback); },
    disableClickToDial: function (callback) { invoke("sforce.interaction.cti.disableClickToDial", "disableClickToDial", {}, callback); },
    onClickToDial: function (listener) {
      if (typeof listener !== "function") throw new Error("onClickToDial needs a listener function");
      listeners.clickToDial.push(listener);
      invoke("sforce.interaction.cti.onClickToDial", "onClickToDial", {});
    },
    getCallCenterSettings: function (callback) {
      invoke("sforce.interaction.cti.getCallCenterSettings", "getCallCenterSettings", {}, function (response) {
        callback({ result: response.result && JSON.stringify(response.result), error: response.error });
      });
    },
    getDirectoryNumbers: function (isGlobal, callCenterName, callback) {
      invoke("sforce.interaction.cti.getDirectoryNumbers", "getDirectoryNumbers", {}, callback);
    },
    getSoftphoneLayout: function (callback) {
      invoke("sforce.interaction.cti.getSoftphoneLayout", "getSoftphoneLayout", {}, function (response) {
        callback({ result: response.result && JSON.stringify(response.result), error: response.error });
      });
    },
    setSoftphoneHeight: function (height, callback) {
      invoke("sforce.interaction.cti.setSoftphoneHeight", "setSoftphonePanelHeight", { heightPX: height }, callback);
    },
    setSoftphoneWidth: function (width, callback) {
      invoke("sforce.interaction.cti.setSoftphoneWidth", "setSoftphonePanelWidth", { widthPX: width }, callback);
    },
    notifyInitializationComplete: function (callback) {
      invoke("sforce.interaction.cti.notifyInitializationComplete", "notifyInitializationComplete", {}, callback);
    },
  };

  window.sforce = window.sforce || {};
  window.sforce.interaction = {
    cti: cti,
    getPageInfo: function (callback) { invoke("sforce.interaction.getPageInfo", "getPageInfo", {}, callback); },
    isInConsole: function (callback) { invoke("sforce.interaction.isInConsole", "isInConsole", {}, callback); },
    isVisible: function (callback) { invoke("sforce.interaction.isVisible", "isVisible", {}, callback); },
    setVisible: function (visible, callback) {
      invoke("sforce.interaction.setVisible", "setVisible", { visible: visible }, callback);
    },
    onFocus: function (listener) {
      if (typeof listener !== "function") throw new Error("onFocus needs a listener function");
      listeners.focus.push(listener);
      invoke("sforce.interaction.onFocus", "onFocus", {});
    },
    screenPop: function (url, force, callback) {
      invoke("sforce.interaction.screenPop", "screenPop", { type: "url", params: { url: url } }, callback);
    },
    searchAndScreenPop: function (searchParams, queryParams, callType, callback) {
      invoke("sforce.interaction.searchAndScreenPop", "searchAndScreenPop",
             { searchParams: searchParams, queryParams: queryParams, callType: callType }, callback);
    },
    searchAndGetScreenPopUrl: function (searchParams, queryParams, callType, callback) {
      invoke("sforce.interaction.searchAndGetScreenPopUrl", "searchAndGetScreenPopUrl",
             { searchParams: searchParams, queryParams: queryParams, callType: callType }, callback);
    },
    // saveParams is "Field=value&…" with values escaped as encodeURIComponent does; the answer is
    // {result: true, id} or {result: false, error}.
    saveLog: function (object, saveParams, callback) {
      var value = parseParams(saveParams);
      if (value.Id === undefined) value.entityApiName = object;
      invoke("sforce.interaction.saveLog", "saveLog", { value: value }, function (response) {
        if (typeof callback !== "function") return;
        var id = response.result && response.result.recordId;
        callback(response.error ? { result: false, error: response.error } : { result: true, id: id });
      });
    },
    refreshPage: function (callback) { invoke("sforce.interaction.refreshPage", "refreshPage", {}, callback); },
    refreshRelatedList: function (listName, callback) {
      invoke("sforce.interaction.refreshRelatedList", "refreshRelatedList", { listName: listName }, callback);
    },
  };
})();
