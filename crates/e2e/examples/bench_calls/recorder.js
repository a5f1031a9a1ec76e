// Installed before any of the page's own scripts (DevTools Page.addScriptToEvaluateOnNewDocument),
// the same in the widget's page and in the JsSIP page, so that both are measured at the same
// points: every click's event time, every INVITE at the moment it is handed to WebSocket.send
// (with its text), and every remote track's first RTP packet (its `unmute`).
(() => {
  const bench = (window.__bench = { clicks: [], invites: [], audio: [] });
  addEventListener('click', (event) => bench.clicks.push(event.timeStamp), true);
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    const at = performance.now();
    const text = typeof data === 'string' ? data : new TextDecoder().decode(data);
    if (text.startsWith('INVITE ')) bench.invites.push({ at, text });
    return send.call(this, data);
  };
  const Real = window.RTCPeerConnection;
  if (!Real) return;
  window.RTCPeerConnection = class extends Real {
    constructor(...args) {
      super(...args);
      this.addEventListener('track', (event) => {
        const heard = () => bench.audio.push(performance.now());
        event.track.addEventListener('unmute', heard, { once: true });
      });
    }
  };
})();
