// A minimal JsSIP-based phone for the calling bench, with the controls and accessible names of
// the widget's pop-out (Username, Password, Sign in; a status "Registered as …"; Number, Call;
// an "Incoming call" alertdialog with Answer and Decline; a region named "Call with …" with Hold or
// Resume and Hang up; Sign out), so that the bench drives both phones the same way. JsSIP's
// defaults throughout (it waits for ICE gathering to complete before an offer or an answer
// leaves). The page's query string carries the server (`ws`, `domain`), `ice` (JSON
// RTCIceServer list) and `policy`; a sign-in is kept in sessionStorage and resumed at once
// after a reload, as the widget does.
(() => {
  const query = new URLSearchParams(location.search);
  const settings = {
    ws: query.get('ws'),
    domain: query.get('domain'),
    iceServers: JSON.parse(query.get('ice') || '[]'),
    policy: query.get('policy') || 'all',
  };
  let ua = null;
  let session = null;
  let user = null;

  const $ = (id) => document.getElementById(id);
  const status = (text) => {
    $('status').textContent = text;
  };

  const options = () => ({
    mediaConstraints: { audio: true, video: false },
    pcConfig: { iceServers: settings.iceServers, iceTransportPolicy: settings.policy },
  });

  // The remote audio plays, as in any softphone.
  const play = (connection) =>
    connection.addEventListener('track', (event) => {
      $('remote').srcObject = event.streams[0];
    });

  const button = (name, act) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = name;
    b.addEventListener('click', act);
    return b;
  };

  // The one call's view: a ringing dialog or the call's region.
  const render = () => {
    const calls = $('calls');
    calls.replaceChildren();
    if (!session) return;
    const box = document.createElement(session.direction === 'incoming' && !session.isEstablished() ? 'div' : 'section');
    const other = session.remote_identity.uri.user;
    if (box.tagName === 'DIV') {
      box.setAttribute('role', 'alertdialog');
      box.setAttribute('aria-label', 'Incoming call');
      box.append(`Call from ${other}`);
      box.append(button('Answer', () => session.answer(options())));
      box.append(button('Decline', () => session.terminate({ status_code: 486 })));
    } else {
      box.setAttribute('aria-label', `Call with ${other}`);
      const held = session.isOnHold().local;
      const state = session.isEstablished() ? (held ? 'On hold' : 'Connected') : 'Calling';
      box.append(`${other}: ${state}`);
      if (session.isEstablished()) {
        box.append(button(held ? 'Resume' : 'Hold', () => (held ? session.unhold() : session.hold())));
      }
      box.append(button('Hang up', () => session.terminate()));
    }
    calls.append(box);
  };

  const follow = (current) => {
    current.on('peerconnection', (event) => play(event.peerconnection));
    const over = () => {
      if (session === current) session = null;
      render();
    };
    for (const name of ['progress', 'accepted', 'confirmed', 'hold', 'unhold']) current.on(name, render);
    current.on('ended', over);
    current.on('failed', over);
  };

  const start = (kept) => {
    user = kept.user;
    status('Signing in');
    ua = new JsSIP.UA({
      sockets: [new JsSIP.WebSocketInterface(settings.ws)],
      uri: `sip:${kept.user}@${settings.domain}`,
      password: kept.password,
      register: true,
    });
    ua.on('newRTCSession', (event) => {
      session = event.session;
      follow(event.session);
      if (event.originator === 'local') play(event.session.connection);
      render();
    });
    ua.on('registered', () => {
      sessionStorage.setItem('jssip-sign-in', JSON.stringify(kept));
      status(`Registered as ${user}`);
      $('sign-in').hidden = true;
      $('phone').hidden = false;
    });
    ua.on('registrationFailed', (event) => status(`Sign-in failed: ${event.cause}`));
    ua.start();
  };

  addEventListener('DOMContentLoaded', () => {
    $('sign-in').addEventListener('submit', (event) => {
      event.preventDefault();
      const form = event.target;
      start({ user: form.username.value, password: form.password.value });
    });
    $('call').addEventListener('click', () => ua.call(`sip:${$('number').value}@${settings.domain}`, options()));
    $('sign-out').addEventListener('click', () => {
      sessionStorage.removeItem('jssip-sign-in');
      ua.stop();
      ua = null;
      status('Signed out');
      $('phone').hidden = true;
      $('sign-in').hidden = false;
      $('sign-in').reset();
    });
    const kept = sessionStorage.getItem('jssip-sign-in');
    if (kept) start(JSON.parse(kept));
  });
})();
