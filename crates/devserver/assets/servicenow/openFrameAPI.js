/*! Framephone ServiceNow emulator: a stand-in for /scripts/openframe/1.0.5/openFrameAPI.min.js.
 * It runs inside the widget's frame and speaks the NOW.PostMessage wire protocol to window.top,
 * with the real library's init handshake and 3000 ms timeout, request ids, the 4400-character
 * payload limit, COMMUNICATION_FAILURE and the argument checks that throw. Like the real one,
 * its message listener checks no origin: the widget must do that itself. */
(function () {
  "use strict";
  var TYPE = "NOW.PostMessage";
  var PAYLOAD_LIMIT = 4400;
  var INIT_TIMEOUT_MS = 3000;
  var TITLE_LIMIT = 256;
  var URL_LIMIT = 2083;

  var EVENTS = {
    HEADER_ICON_CLICKED: "openframe_header_icon_clicked",
    ICON_CLICKED: "openframe_icon_clicked",
    TITLE_ICON_CLICKED: "openframe_title_icon_clicked",
    OPENFRAME_SHOWN: "openframe_shown",
    OPENFRAME_HIDDEN: "openframe_hidden",
    OPENFRAME_BEFORE_DESTROY: "openframe_before_destroy",
    COMMUNICATION_EVENT: "openframe_communication",
    COMMUNICATION_FAILURE: "openframe_communication_failure",
    EXPAND: "openframe_expand",
    COLLAPSE: "openframe_collapse",
  };
  // String events of the current documentation, accepted by subscribe() beside EVENTS.
  var STRING_EVENTS = [
    "interaction_control_action", "openframe_agent_off_interaction", "openframe_awa_agent_presence",
    "openframe_awa_client_offer", "openframe_awa_workitem_offered", "openframe_awa_workitem_accepted",
    "openframe_awa_workitem_rejected", "openframe_heart_beat", "openframe_wrap_up_submitted",
  ];
  var FRAME_MODE = { EXPAND: "expand", COLLAPSE: "collapse" };
  var INDICATOR_COLORS = { GREEN: "green", RED: "red", ORANGE: "orange", GREY: "grey" };

  var topDomain = null;
  var subscribers = {};
  var pending = {};
  var initAttempt = null;

  function isValidEvent(name) {
    for (var key in EVENTS) if (EVENTS[key] === name) return true;
    return STRING_EVENTS.indexOf(name) >= 0;
  }

  function publishLocal(eventName, args) {
    (subscribers[eventName] || []).forEach(function (callback) {
      try { callback(args); } catch (error) { console.error(error); }
    });
  }

  function post(eventName, args, targetOrigin) {
    var message = JSON.stringify({ type: TYPE, eventName: eventName, args: args });
    if (message.length > PAYLOAD_LIMIT) {
      publishLocal(EVENTS.COMMUNICATION_FAILURE, {
        eventName: eventName,
        message: "Message payload exceeds the supported limit",
      });
      return false;
    }
    window.top.postMessage(message, targetOrigin || topDomain);
    return true;
  }

  function requireInit() {
    if (!topDomain) throw new Error("OpenFrame is not initialized: call openFrameAPI.init first");
  }

  function publish(eventName, args) {
    requireInit();
    return post(eventName, args || {});
  }

  function request(method, payload, success, failure) {
    requireInit();
    var id = method + "_" + Date.now() * Math.random();
    pending[id] = { success: success, failure: failure };
    if (!post("openframe_request", { id: id, method: method, payload: payload || {} })) {
      delete pending[id];
      if (failure) failure("Message payload exceeds the supported limit");
    }
  }

  function checkText(value, what) {
    if (typeof value !== "string") throw new Error(what + " must be a string");
    if (value.length > TITLE_LIMIT) throw new Error(what + " cannot exceed " + TITLE_LIMIT + " characters");
  }

  function checkDimension(value, what) {
    if (typeof value !== "number" || isNaN(value)) throw new Error(what + " must be a number");
    if (value < 0) throw new Error(what + " must not be negative");
  }

  window.addEventListener("message", function (event) {
    var data;
    try { data = JSON.parse(event.data); } catch (error) { return; }
    if (!data || typeof data !== "object") return;
    switch (data.eventName) {
      case "openframe_init":
        if (initAttempt) initAttempt(data.args || {});
        break;
      case "openframe_response":
        var context = (data.args && data.args.context) || {};
        var waiter = pending[context.id];
        if (!waiter) return;
        delete pending[context.id];
        if (data.args.isSuccess) { if (waiter.success) waiter.success(context.result); }
        else if (waiter.failure) waiter.failure(context.result);
        break;
      default:
        publishLocal(data.eventName, data.args);
    }
  });

  var api = {
    EVENTS: EVENTS,
    FRAME_MODE: FRAME_MODE,
    INDICATOR_COLORS: INDICATOR_COLORS,
    version: function () { return "1.0.5"; },
    init: function (config, success, failure) {
      config = config || {};
      var done = false;
      var timer = setTimeout(function () {
        if (done) return;
        done = true;
        initAttempt = null;
        if (failure) failure("Openframe init request timed out");
      }, INIT_TIMEOUT_MS);
      initAttempt = function (args) {
        if (done) return;
        initAttempt = null;
        topDomain = args.topDomain;
        request("openframe_get_config", {}, function (record) {
          if (done) return;
          done = true;
          clearTimeout(timer);
          try {
            if (config.title !== undefined) api.setTitle(config.title);
            if (config.subTitle !== undefined) api.setSubtitle(config.subTitle);
            if (config.titleIcon !== undefined) api.setTitleIcon(config.titleIcon);
            if (config.width !== undefined || config.height !== undefined) {
              api.setSize(config.width !== undefined ? config.width : record.width,
                          config.height !== undefined ? config.height : record.height);
            }
          } catch (error) {
            if (failure) failure(error.message);
            return;
          }
          if (success) success(record);
        }, function (reason) {
          if (done) return;
          done = true;
          clearTimeout(timer);
          if (failure) failure(reason);
        });
      };
      // The init request goes to every origin: the top frame's is not known yet.
      post("openframe_init", {}, "*");
    },
    show: function () { publish("openframe_show"); },
    hide: function () { publish("openframe_hide"); },
    isVisible: function (callback, failure) { request("openframe_visible", {}, callback, failure); },
    subscribe: function (eventName, callback) {
      if (!isValidEvent(eventName)) throw new Error(eventName + " is not a valid event for subscription");
      (subscribers[eventName] = subscribers[eventName] || []).push(callback);
    },
    setTitle: function (title) { checkText(title, "Title"); publish("openframe_set_header_title", { title: title }); },
    setSubtitle: function (subtitle) {
      checkText(subtitle, "Subtitle");
      publish("openframe_set_header_title", { subtitle: subtitle });
    },
    setSize: function (width, height) {
      checkDimension(width, "Width");
      checkDimension(height, "Height");
      publish("openframe_set_size", { width: width, height: height });
    },
    setWidth: function (width) { checkDimension(width, "Width"); publish("openframe_set_width", { width: width }); },
    setHeight: function (height) { checkDimension(height, "Height"); publish("openframe_set_height", { height: height }); },
    setIcons: function (icons) {
      if (!Array.isArray(icons)) throw new Error("Icons must be an array");
      publish("openframe_set_header_icons", { icons: icons });
    },
    setTitleIcon: function (icon) { publish("openframe_set_header_title_icon", { icon: icon }); },
    openServiceNowForm: function (details) {
      details = details || {};
      if (/sysparm_stack|sysparm_goto_url/.test(details.query || "")) {
        throw new Error("Url query string cannot have redirects");
      }
      publish("openframe_set_top_frame_url", { type: "form", entity: details.entity, query: details.query || "" });
    },
    openServiceNowList: function (details) {
      details = details || {};
      publish("openframe_set_top_frame_url", { type: "list", entity: details.entity, query: details.query || "" });
    },
    openCustomURL: function (url) {
      if (typeof url !== "string") throw new Error("Custom url must be a string");
      if (/^(?:[a-z]+:)?\/\//i.test(url)) throw new Error("Custom url cannot be absolute");
      if (url.length > URL_LIMIT) throw new Error("Custom url exceeds the supported length");
      publish("openframe_set_top_frame_url", { type: "url", url: url });
    },
    openInteraction: function (interactionSysId) {
      publish("openframe_set_top_frame_url", { type: "interaction", sys_id: interactionSysId });
    },
    setFrameMode: function (mode) {
      if (mode !== FRAME_MODE.EXPAND && mode !== FRAME_MODE.COLLAPSE) throw new Error(mode + " is not a valid frame mode");
      publish("openframe_set_frame_mode", { mode: mode });
    },
    setPresenceIndicator: function (state, color) {
      var valid = false;
      for (var key in INDICATOR_COLORS) if (INDICATOR_COLORS[key] === color) valid = true;
      if (!valid) throw new Error(color + " is not a valid presence indicator color");
      publish("openframe_set_presence_indicator", { state: state, color: color });
    },
  };
  window.openFrameAPI = api;
  window.SNC = window.SNC || {};
  window.SNC.OpenFrame = api;
})();
