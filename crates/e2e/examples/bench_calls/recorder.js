// Installed before any of the page's own scripts (DevTools Page.addScriptToEvaluateOnNewDocument),
// the same in the widget's page and in the JsSIP page, so that both are measured at the same
// points. Times are on the machine's clock (timeOrigin + now, in ms), so that two pages'
// records compare: every click (with its button's text), every SIP message handed to
// WebSocket.send and every one received (before the page's own listeners), the status turning
// to "Registered as …", each remote track's first RTP packet (its `unmute`), and the page's
// uncaught errors; for where a sign-in's time goes, when each click's listeners began to run,
// each WebSocket was made and each one's open event came (before the page's own listeners).
(() => {
  const at = () => performance.timeOrigin + performance.now();
  const bench = (window.__bench = { start: performance.timeOrigin, clicks: [], sent: [], received: [], registered: [], audio: [], errors: [], sockets: [], opened: [] });
  addEventListener('error', (event) => bench.errors.push(String(event.message)));
  addEventListener('unhandledrejection', (event) => bench.errors.push(String(event.reason)));
  addEventListener(
    'click',
    (event) => {
      const target = event.target.closest ? event.target.closest('button') : null;
      bench.clicks.push({ at: performance.timeOrigin + event.timeStamp, dispatched: at(), name: target ? target.textContent.trim() : '' });
    },
    true,
  );
  // The first line, the CSeq's method, and the whole text of INVITEs (their offers).
  const packet = (time, data) => {
    const text = typeof data === 'string' ? data : new TextDecoder().decode(data);
    const line = text.slice(0, text.indexOf('\r\n'));
    const cseq = /\r\nCSeq:\s*\d+\s+(\w+)/i.exec(text);
    return { at: time, line, method: cseq ? cseq[1] : '', text: line.startsWith('INVITE ') ? text : '' };
  };
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    bench.sent.push(packet(at(), data));
    return send.call(this, data);
  };
  const Socket = window.WebSocket;
  window.WebSocket = class extends Socket {
    constructor(...args) {
      super(...args);
      bench.sockets.push(at());
      this.addEventListener('open', () => bench.opened.push(at()));
      this.addEventListener('message', (event) => {
        const time = at();
        if (typeof event.data === 'string') bench.received.push(packet(time, event.data));
        else if (event.data instanceof ArrayBuffer) bench.received.push(packet(time, new Uint8Array(event.data)));
      });
    }
  };
  let shown = false;
  const watch = new MutationObserver(() => {
    const now = [...document.querySelectorAll('[role=status]')].some((s) => s.textContent.includes('Registered as'));
    if (now && !shown) bench.registered.push(at());
    shown = now;
  });
  watch.observe(document, { subtree: true, childList: true, characterData: true });
  const Real = window.RTCPeerConnection;
  if (!Real) return;
  window.RTCPeerConnection = class extends Real {
    constructor(...args) {
      super(...args);
      this.addEventListener('track', (event) => {
        const heard = () => bench.audio.push(at());
        event.track.addEventListener('unmute', heard, { once: true });
      });
    }
  };
})();
