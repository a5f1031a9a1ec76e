// A minimal JsSIP phone for the calling bench: registers over WebSocket, calls, answers and
// hangs up with JsSIP's defaults (it waits for ICE gathering to complete before an offer or an
// answer leaves), with the ICE servers and policy the bench gives. The bench drives it through
// the buttons, as an agent would, and reads `jssipBench.state()`.
(() => {
  let ua = null;
  let session = null;
  let settings = null;

  const options = () => ({
    mediaConstraints: { audio: true, video: false },
    pcConfig: { iceServers: settings.iceServers, iceTransportPolicy: settings.policy },
  });

  // The remote audio plays, as in any softphone.
  const play = (connection) =>
    connection.addEventListener('track', (event) => {
      document.getElementById('remote').srcObject = event.streams[0];
    });

  const follow = (current) => {
    current.on('peerconnection', (event) => play(event.peerconnection));
    const over = () => {
      if (session === current) session = null;
    };
    current.on('ended', over);
    current.on('failed', over);
  };

  window.jssipBench = {
    // Registers `settings.user`; resolves once registered.
    start(given) {
      settings = given;
      ua = new JsSIP.UA({
        sockets: [new JsSIP.WebSocketInterface(settings.ws)],
        uri: `sip:${settings.user}@${settings.domain}`,
        password: settings.password,
        register: true,
      });
      ua.on('newRTCSession', (event) => {
        session = event.session;
        follow(event.session);
        if (event.originator === 'local') play(event.session.connection);
      });
      return new Promise((resolve, reject) => {
        ua.on('registered', () => resolve('registered'));
        ua.on('registrationFailed', (event) => reject(new Error(event.cause)));
        ua.start();
      });
    },
    // 'idle', 'outgoing', 'incoming' (ringing here) or 'established'.
    state() {
      if (!session) return 'idle';
      if (session.isEstablished()) return 'established';
      return session.direction;
    },
  };

  addEventListener('DOMContentLoaded', () => {
    document.getElementById('call').addEventListener('click', () => ua.call(settings.target, options()));
    document.getElementById('answer').addEventListener('click', () => session && session.answer(options()));
    document.getElementById('hang-up').addEventListener('click', () => session && session.terminate());
  });
})();
