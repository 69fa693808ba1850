/* mockapi token timeline: plain ES2017, no modules, no dependencies.
 *
 * The admin token comes from the URL fragment (#token=...), which browsers
 * never send to the server; it goes out only in an Authorization header to
 * /mock/v1. The page never receives a whole ServiceAccount token: events
 * carry a jti and an 8-character prefix at most, and that is all it shows.
 */
(function () {
  'use strict';

  var SVGNS = 'http://www.w3.org/2000/svg';
  var POLL_MS = 1000;
  var MAX_TOKENS = 400;   /* remembered */
  var MAX_ROWS = 60;      /* drawn: the most recent ones */
  var MAX_FEED = 300;
  var DAY = 86400;

  var adminToken = '';
  var state = {
    clock: null,          /* {nowMs, frozen, rate, fetchedAt} */
    since: 0,             /* events cursor */
    reqSince: 0,          /* request journal cursor */
    dropped: 0,
    tokens: new Map(),    /* jti -> token record */
    keys: null,           /* Set of kids in the keyset, or null = unknown */
    windowSel: 'auto',
    busy: false,
    feedCount: 0
  };
  var $ = function (id) { return document.getElementById(id); };

  /* ---- helpers ---- */

  function readToken() {
    var h = window.location.hash.replace(/^#/, '');
    var parts = h.split('&');
    for (var i = 0; i < parts.length; i++) {
      var kv = parts[i].split('=');
      if (kv[0] === 'token' && kv.length > 1) {
        return decodeURIComponent(kv.slice(1).join('='));
      }
    }
    return '';
  }

  /* RFC 3339 with any number of fraction digits -> ms since the epoch. */
  function parseTime(s) {
    var m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(s || '');
    if (!m) {
      return NaN;
    }
    var ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
    if (m[7]) {
      ms += Number('0.' + m[7]) * 1000;
    }
    if (m[8] !== 'Z') {
      var sign = m[8][0] === '-' ? -1 : 1;
      ms -= sign * (Number(m[8].substr(1, 2)) * 60 + Number(m[8].substr(4, 2))) * 60000;
    }
    return ms;
  }

  function pad(n, w) {
    var s = String(n);
    while (s.length < (w || 2)) {
      s = '0' + s;
    }
    return s;
  }

  /* Seconds since the epoch -> "2025-06-01 10:00:00Z". */
  function fmtTime(sec, withDate) {
    var d = new Date(sec * 1000);
    var t = pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + ':' + pad(d.getUTCSeconds());
    if (withDate === false) {
      return t;
    }
    return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) + ' ' + t + 'Z';
  }

  function fmtDuration(sec) {
    var neg = sec < 0;
    var s = Math.abs(Math.round(sec));
    var out;
    if (s < 60) {
      out = s + 's';
    } else if (s < 3600) {
      out = Math.floor(s / 60) + 'm' + (s % 60 ? pad(s % 60) + 's' : '');
    } else if (s < 2 * DAY) {
      out = Math.floor(s / 3600) + 'h' + (s % 3600 >= 60 ? pad(Math.floor(s % 3600 / 60)) + 'm' : '');
    } else {
      out = Math.round(s / DAY) + 'd';
    }
    return (neg ? '-' : '') + out;
  }

  function el(name, attrs, text) {
    var e = document.createElement(name);
    setAttrs(e, attrs);
    if (text !== undefined) {
      e.textContent = text;
    }
    return e;
  }

  function sv(name, attrs, text) {
    var e = document.createElementNS(SVGNS, name);
    setAttrs(e, attrs);
    if (text !== undefined) {
      e.textContent = text;
    }
    return e;
  }

  function setAttrs(e, attrs) {
    if (!attrs) {
      return;
    }
    Object.keys(attrs).forEach(function (k) {
      if (attrs[k] !== undefined && attrs[k] !== null) {
        e.setAttribute(k, String(attrs[k]));
      }
    });
  }

  /* "system:serviceaccount:default:app" -> "default/app". */
  function shortSub(sub) {
    var m = /^system:serviceaccount:([^:]+):(.+)$/.exec(sub || '');
    return m ? m[1] + '/' + m[2] : (sub || '?');
  }

  function shortJti(jti) {
    return (jti || '').slice(0, 8);
  }

  /* ---- the admin API ---- */

  function api(method, path, body) {
    var opts = {
      method: method,
      headers: { 'Authorization': 'Bearer ' + adminToken, 'Accept': 'application/json' },
      cache: 'no-store',
      credentials: 'omit',
      referrerPolicy: 'no-referrer'
    };
    if (body !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    return fetch(path, opts).then(function (r) {
      return r.text().then(function (t) {
        var j = null;
        try {
          j = t ? JSON.parse(t) : null;
        } catch (e) {
          j = null;
        }
        if (!r.ok) {
          var msg = (j && j.message) ? j.message : (t || ('HTTP ' + r.status)).trim();
          var err = new Error(r.status + ': ' + msg);
          err.status = r.status;
          throw err;
        }
        return j;
      });
    });
  }

  function setConn(text, bad) {
    var c = $('conn');
    c.textContent = text;
    c.className = bad ? 'conn bad' : 'conn';
  }

  /* ---- the clock ---- */

  function mockNowSec() {
    var c = state.clock;
    if (!c) {
      return Date.now() / 1000;
    }
    var ms = c.nowMs;
    if (!c.frozen) {
      ms += (performance.now() - c.fetchedAt) * c.rate;
    }
    return ms / 1000;
  }

  function takeClock(j) {
    if (!j || typeof j.now !== 'string') {
      return;
    }
    state.clock = {
      nowMs: parseTime(j.now),
      frozen: !!j.frozen,
      rate: typeof j.rate === 'number' ? j.rate : 1,
      fetchedAt: performance.now()
    };
  }

  function drawClock() {
    var c = state.clock;
    if (!c) {
      return;
    }
    var now = mockNowSec();
    var t = $('clock-time');
    t.textContent = fmtTime(now);
    t.setAttribute('datetime', new Date(now * 1000).toISOString());
    var st = $('clock-state');
    st.textContent = c.frozen ? 'frozen' : 'running';
    st.className = 'badge ' + (c.frozen ? 'frozen' : 'running');
    $('clock-rate').textContent = 'rate ×' + c.rate;
    var rates = document.querySelectorAll('[data-rate]');
    for (var i = 0; i < rates.length; i++) {
      rates[i].setAttribute('aria-pressed', Number(rates[i].getAttribute('data-rate')) === c.rate ? 'true' : 'false');
    }
    $('freeze').disabled = c.frozen;
    $('resume').disabled = !c.frozen;
  }

  function clockAction(method, path, body) {
    var errp = $('clock-error');
    return api(method, path, body).then(function (j) {
      errp.hidden = true;
      if (j && typeof j.now === 'string') {
        takeClock(j);
      }
      return refresh();
    }).catch(function (e) {
      errp.textContent = 'Clock: ' + e.message;
      errp.hidden = false;
    });
  }

  /* ---- tokens from events ---- */

  /* The kubelet's refresh point (sim/kubelet.h): es = spec.expirationSeconds
   * (the warnafter span for extended tokens), refresh at exp' - es/5 or at
   * iat + 24h, whichever comes first. */
  function refreshAt(t) {
    var es = t.warnafter ? t.warnafter - t.iat : t.exp - t.iat;
    if (!(es > 0)) {
      return 0;
    }
    return Math.min(t.iat + es - Math.floor(es * 20 / 100), t.iat + DAY);
  }

  function tokenFor(jti) {
    var t = state.tokens.get(jti);
    if (!t) {
      t = { jti: jti, prefix: '', sub: '', aud: [], iat: 0, exp: 0, warnafter: 0,
            pod: '', kid: '', volume: '', source: '', invalid: '', reason: '',
            reviews: 0, firstSeq: 0 };
      state.tokens.set(jti, t);
      if (state.tokens.size > MAX_TOKENS) {
        var oldest = state.tokens.keys().next().value;
        state.tokens.delete(oldest);
      }
    }
    return t;
  }

  /* "issued" carries the JWT's claims and wins; the kubelet's events
   * (volumeWritten, rotatedByKubelet) carry the same iat/exp/warnafter
   * (the JWT's exp, a year for an extended token) and only fill what is
   * still unknown. */
  function mergeClaims(t, ev, authoritative) {
    var set = function (k, v) {
      if (v && (authoritative || !t[k] || (Array.isArray(t[k]) && !t[k].length))) {
        t[k] = v;
      }
    };
    set('prefix', ev.tokenPrefix);
    set('sub', ev.sub);
    set('aud', ev.audiences && ev.audiences.length ? ev.audiences.slice() : null);
    set('iat', ev.iat);
    set('exp', ev.exp);
    set('warnafter', ev.warnafter);
    set('pod', ev.pod);
    set('kid', ev.kid);
    set('volume', ev.volume);
    if (!t.firstSeq) { t.firstSeq = ev.seq; }
  }

  function findByPrefix(prefix) {
    var found = null;
    state.tokens.forEach(function (t) {
      if (prefix && t.prefix === prefix) {
        found = t;
      }
    });
    return found;
  }

  /* Which rejection reasons mean "the bound object is gone". */
  function invalidation(reason) {
    var r = reason || '';
    if (/serviceaccounts? "?[^"]*"? not found|service account .* has been deleted/i.test(r)) {
      return 'serviceaccount';
    }
    if (/has been invalidated|does not match service account pod ref|pods? "[^"]*" not found/i.test(r)) {
      return 'pod';
    }
    return '';
  }

  var needKeys = true;

  function takeEvent(ev) {
    var t = null;
    switch (ev.type) {
    case 'issued':
    case 'rotatedByKubelet':
    case 'volumeWritten':
      if (ev.jti) {
        t = tokenFor(ev.jti);
        mergeClaims(t, ev, ev.type === 'issued');
        if (!t.source || ev.type !== 'issued') {
          t.source = ev.type;
        }
      }
      break;
    case 'reviewed':
      t = ev.jti ? state.tokens.get(ev.jti) : findByPrefix(ev.tokenPrefix);
      if (t) {
        t.reviews++;
      }
      break;
    case 'rejected':
    case 'expiredTokenPresented':
      t = ev.jti ? state.tokens.get(ev.jti) : findByPrefix(ev.tokenPrefix);
      if (t && ev.type === 'rejected') {
        t.reason = ev.reason || '';
        var why = invalidation(ev.reason);
        if (why) {
          t.invalid = why;
        }
      }
      break;
    case 'keyRotated':
      needKeys = true;
      break;
    default:
      break;
    }
    addFeedEvent(ev);
  }

  /* The first that applies: an expired token stays "expired" whatever
   * happened to it later; a live one is refused if its pod or
   * ServiceAccount is gone or its key was dropped. */
  function tokenState(t, now) {
    if (t.exp && now >= t.exp) { return 'expired'; }
    if (t.invalid) { return 'invalidated'; }
    if (state.keys && t.kid && !state.keys.has(t.kid)) { return 'dropped'; }
    if (t.warnafter && now >= t.warnafter) { return 'stale'; }
    var r = refreshAt(t);
    if (r && now >= r) { return 'refresh'; }
    return 'valid';
  }

  var STATE_TEXT = {
    valid: 'valid',
    refresh: 'past refresh point',
    stale: 'stale',
    expired: 'expired',
    invalidated: 'invalidated',
    dropped: 'dropped key'
  };

  /* Every "kid" string anywhere in a /mock/v1/keys answer. */
  function collectKids(j, out) {
    if (Array.isArray(j)) {
      j.forEach(function (x) { collectKids(x, out); });
    } else if (j && typeof j === 'object') {
      Object.keys(j).forEach(function (k) {
        if (k === 'kid' && typeof j[k] === 'string') {
          out.add(j[k]);
        } else {
          collectKids(j[k], out);
        }
      });
    }
    return out;
  }

  /* ---- the feed ---- */

  function feedItem(timeStr, kind, cls, detail) {
    var li = el('li', { 'class': cls || '' });
    var ms = parseTime(timeStr);
    li.appendChild(el('span', { 'class': 't' }, isNaN(ms) ? '' : fmtTime(ms / 1000, false)));
    li.appendChild(el('span', { 'class': 'k' }, kind));
    li.appendChild(el('span', { 'class': 'd' }, detail));
    var feed = $('feed');
    feed.insertBefore(li, feed.firstChild);
    while (feed.childNodes.length > MAX_FEED) {
      feed.removeChild(feed.lastChild);
    }
  }

  function addFeedEvent(ev) {
    var bits = [];
    if (ev.sub) { bits.push(shortSub(ev.sub)); }
    if (ev.jti) { bits.push('jti ' + shortJti(ev.jti)); }
    if (ev.pod) { bits.push('pod ' + ev.pod); }
    if (ev.kid) { bits.push('kid ' + ev.kid.slice(0, 8) + (ev.kid.length > 8 ? '…' : '')); }
    if (ev.volume) { bits.push(ev.volume); }
    if (ev.exp && ev.iat) { bits.push('ttl ' + fmtDuration(ev.exp - ev.iat)); }
    if (ev.reason) { bits.push('— ' + ev.reason); }
    var cls = ev.type === 'rejected' ? 'bad' : (ev.type === 'expiredTokenPresented' ? 'warn' : '');
    feedItem(ev.time, ev.type, cls, bits.join(' · '));
  }

  function addFeedRequest(r) {
    if (!(r.code >= 400 || r.code === 0 || r.fault)) {
      return;
    }
    var bits = [r.method + ' ' + r.path];
    if (r.user) { bits.push(r.user); }
    if (r.jti) { bits.push('jti ' + shortJti(r.jti)); }
    if (r.fault) { bits.push('fault ' + r.fault); }
    feedItem(r.time, 'request ' + (r.code || 'dropped'), 'bad', bits.join(' · '));
  }

  /* ---- the timeline ---- */

  var TICKS = [1, 5, 15, 30, 60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600,
               DAY, 2 * DAY, 7 * DAY, 14 * DAY, 30 * DAY, 61 * DAY, 91 * DAY];

  function chooseWindow(rows, now) {
    if (state.windowSel !== 'auto') {
      var w = Number(state.windowSel);
      return [now - w * 0.25, now + w * 0.75];
    }
    var lo = now;
    var hi = now;
    rows.forEach(function (t) {
      var pts = [t.iat, refreshAt(t)];
      if (t.warnafter) {
        pts.push(t.warnafter);
      }
      /* A year-long extended exp would squash the rest: leave it off. */
      if (!t.warnafter && t.exp - t.iat <= 7 * DAY) {
        pts.push(t.exp);
      }
      pts.forEach(function (p) {
        if (p) {
          lo = Math.min(lo, p);
          hi = Math.max(hi, p);
        }
      });
    });
    var span = Math.max(hi - lo, 120);
    if (span > 14 * DAY) {
      /* Too wide: a two-week window around now. */
      return [now - 3 * DAY, now + 11 * DAY];
    }
    return [lo - span * 0.04, hi + span * 0.06];
  }

  function rowsToDraw(now) {
    var all = [];
    state.tokens.forEach(function (t) {
      if (t.iat && t.exp) {
        all.push(t);
      }
    });
    all.sort(function (a, b) { return a.firstSeq - b.firstSeq; });
    all = all.slice(-MAX_ROWS);
    /* Group by projected volume; a group sits where its first token was. */
    var groups = [];
    var byKey = new Map();
    all.forEach(function (t) {
      var key = t.volume ? 'v:' + t.volume : 'j:' + t.jti;
      var g = byKey.get(key);
      if (!g) {
        g = { volume: t.volume, tokens: [] };
        byKey.set(key, g);
        groups.push(g);
      }
      g.tokens.push(t);
    });
    groups.forEach(function (g) {
      g.tokens.sort(function (a, b) { return a.iat - b.iat || a.firstSeq - b.firstSeq; });
    });
    return groups;
  }

  function drawTimeline() {
    var chart = $('chart');
    var now = mockNowSec();
    var groups = rowsToDraw(now);
    var old = chart.querySelector('svg');
    var focusedJti = document.activeElement && document.activeElement.getAttribute &&
      document.activeElement.getAttribute('data-jti');
    var n = 0;
    groups.forEach(function (g) { n += g.tokens.length + (g.volume ? 1 : 0); });
    $('empty').hidden = n > 0;
    if (n === 0) {
      if (old) {
        chart.removeChild(old);
      }
      return;
    }
    var flat = [];
    groups.forEach(function (g) { g.tokens.forEach(function (t) { flat.push(t); }); });
    var win = chooseWindow(flat, now);
    var t0 = win[0];
    var t1 = win[1];
    var W = Math.max(chart.clientWidth, 280);
    var narrow = W < 600;
    var labelW = narrow ? 0 : Math.min(230, Math.round(W * 0.24));
    var x0 = labelW + 10;
    var x1 = W - 14;
    var rowH = narrow ? 40 : 34;
    var barH = 14;
    var axisH = 24;
    var volH = 18;
    var x = function (sec) { return x0 + (sec - t0) / (t1 - t0) * (x1 - x0); };
    var clampX = function (sec) { return Math.max(x0, Math.min(x1, x(sec))); };
    var inWin = function (sec) { return sec >= t0 && sec <= t1; };

    var H = axisH + 6;
    groups.forEach(function (g) { H += (g.volume ? volH : 0) + g.tokens.length * rowH; });
    H += 8;

    var svg = sv('svg', { width: W, height: H, viewBox: '0 0 ' + W + ' ' + H,
                          role: 'group', 'aria-label': 'Token lifetimes on the mock clock' });

    /* Axis and grid. */
    var axis = sv('g', { 'class': 'axis', 'aria-hidden': 'true' });
    var step = TICKS[TICKS.length - 1];
    for (var i = 0; i < TICKS.length; i++) {
      if ((t1 - t0) / TICKS[i] <= (narrow ? 4 : 8)) {
        step = TICKS[i];
        break;
      }
    }
    var withDate = step >= DAY || (t1 - t0) > DAY;
    for (var tk = Math.ceil(t0 / step) * step; tk <= t1; tk += step) {
      var xx = x(tk);
      axis.appendChild(sv('line', { x1: xx, x2: xx, y1: axisH - 4, y2: H - 4 }));
      var d = new Date(tk * 1000);
      var lab = withDate
        ? (d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) + (step < DAY ? ' ' + pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) : '')
        : pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + (step < 60 ? ':' + pad(d.getUTCSeconds()) : '');
      axis.appendChild(sv('text', { x: xx, y: axisH - 8, 'text-anchor': 'middle' }, lab));
    }
    svg.appendChild(axis);

    var y = axisH + 6;
    var rowY = new Map();
    groups.forEach(function (g) {
      if (g.volume) {
        var vg = sv('g', { 'class': 'vol' });
        vg.appendChild(sv('line', { x1: 0, x2: W, y1: y + 2, y2: y + 2 }));
        vg.appendChild(sv('text', { x: 4, y: y + 14 }, 'volume ' + g.volume));
        svg.appendChild(vg);
        y += volH;
      }
      var prev = null;
      g.tokens.forEach(function (t) {
        var st = tokenState(t, now);
        var by = y + (narrow ? 20 : (rowH - barH) / 2);
        var gEl = sv('g', {
          'class': 'bar st-' + st,
          tabindex: 0,
          role: 'img',
          'data-jti': t.jti,
          'data-state': st,
          'aria-label': 'token ' + shortSub(t.sub) + ', jti ' + shortJti(t.jti) + ', ' + STATE_TEXT[st] +
            ', expires ' + fmtTime(t.exp)
        });
        gEl.appendChild(sv('rect', { 'class': 'hit', x: 0, y: y, width: W, height: rowH }));
        var label = shortSub(t.sub) + (t.pod ? ' · ' + t.pod.replace(/^[^/]*\//, '') : '');
        var stText = STATE_TEXT[st] + ' · jti ' + shortJti(t.jti);
        if (narrow) {
          gEl.appendChild(sv('text', { 'class': 'label', x: x0, y: y + 13 }, fit(label, x1 - x0 - 150, 7.4)));
          gEl.appendChild(sv('text', { 'class': 'state', x: x1, y: y + 13, 'text-anchor': 'end' }, stText));
        } else {
          gEl.appendChild(sv('text', { 'class': 'label', x: 4, y: by + 3 }, fit(label, labelW - 8, 7.4)));
          gEl.appendChild(sv('text', { 'class': 'state', x: 4, y: by + 16 }, fit(stText, labelW - 8, 6.2)));
        }

        var a = clampX(t.iat);
        var b = clampX(t.exp);
        if (b - a < 2) {
          b = a + 2;
        }
        gEl.appendChild(sv('rect', { 'class': 'body', x: a, y: by, width: b - a, height: barH, rx: 2 }));
        if (t.iat < t0) {
          gEl.appendChild(sv('path', { 'class': 'arrow', d: 'M' + (x0 - 7) + ' ' + (by + barH / 2) + ' l7 -7 v14 z' }));
        }
        if (t.exp > t1) {
          gEl.appendChild(sv('path', { 'class': 'arrow', d: 'M' + (x1 + 7) + ' ' + (by + barH / 2) + ' l-7 -7 v14 z' }));
        }
        var r = refreshAt(t);
        if (r && inWin(r)) {
          gEl.appendChild(sv('line', { 'class': 'mk-refresh', x1: x(r), x2: x(r), y1: by - 4, y2: by + barH + 4 }));
        }
        if (t.warnafter && inWin(t.warnafter)) {
          gEl.appendChild(sv('line', { 'class': 'mk-warn', x1: x(t.warnafter), x2: x(t.warnafter),
                                       y1: by - 4, y2: by + barH + 4 }));
        }
        gEl.addEventListener('mouseenter', function () { showTip(t, gEl); });
        gEl.addEventListener('mouseleave', hideTip);
        gEl.addEventListener('focus', function () { showTip(t, gEl); });
        gEl.addEventListener('blur', hideTip);
        svg.appendChild(gEl);

        /* Successive tokens of one volume: prev bar at the new iat -> new bar. */
        if (prev) {
          var px = clampX(t.iat);
          var py = rowY.get(prev.jti);
          svg.appendChild(sv('path', { 'class': 'link', 'aria-hidden': 'true',
                                       d: 'M' + px + ' ' + (py + barH) + ' V' + (by + barH / 2) }));
        }
        rowY.set(t.jti, by);
        prev = t;
        y += rowH;
      });
    });

    /* The "now" line on top. */
    if (inWin(now)) {
      var ng = sv('g', { 'class': 'now', 'aria-hidden': 'true' });
      ng.appendChild(sv('line', { x1: x(now), x2: x(now), y1: axisH - 2, y2: H - 4 }));
      var anchor = x(now) > x1 - 30 ? 'end' : 'start';
      ng.appendChild(sv('text', { x: x(now) + (anchor === 'end' ? -3 : 3), y: axisH + 4, 'text-anchor': anchor }, 'now'));
      svg.appendChild(ng);
    }

    if (old) {
      chart.replaceChild(svg, old);
    } else {
      chart.appendChild(svg);
    }
    if (focusedJti) {
      var again = svg.querySelector('[data-jti="' + cssEscape(focusedJti) + '"]');
      if (again) {
        again.focus();
      }
    }
  }

  /* Cuts text to about maxPx at charPx per character, with an ellipsis. */
  function fit(text, maxPx, charPx) {
    var n = Math.max(4, Math.floor(maxPx / charPx));
    return text.length <= n ? text : text.slice(0, n - 1) + '…';
  }

  function cssEscape(s) {
    return (window.CSS && CSS.escape) ? CSS.escape(s) : String(s).replace(/["\\]/g, '\\$&');
  }

  /* ---- the tooltip: claims only, never a token ---- */

  var tipFor = null;

  function showTip(t, anchorEl) {
    var tip = $('tip');
    var now = mockNowSec();
    tipFor = t.jti;
    while (tip.firstChild) {
      tip.removeChild(tip.firstChild);
    }
    var dl = el('dl');
    var add = function (k, v) {
      if (v) {
        dl.appendChild(el('dt', null, k));
        dl.appendChild(el('dd', null, v));
      }
    };
    add('state', STATE_TEXT[tokenState(t, now)] + (t.invalid ? ' (' + t.invalid + ' deleted)' : ''));
    add('sub', t.sub);
    add('aud', t.aud.join(', '));
    add('jti', t.jti);
    add('token', t.prefix ? t.prefix + '…' : '');
    add('pod', t.pod);
    add('kid', t.kid);
    add('volume', t.volume);
    add('iat', fmtTime(t.iat));
    add('refresh', refreshAt(t) ? fmtTime(refreshAt(t)) : '');
    add('warnafter', t.warnafter ? fmtTime(t.warnafter) : '');
    add('exp', fmtTime(t.exp) + ' (' + (t.exp > now ? 'in ' + fmtDuration(t.exp - now) : fmtDuration(now - t.exp) + ' ago') + ')');
    add('reviews', t.reviews ? String(t.reviews) : '');
    add('rejected', t.reason);
    tip.appendChild(dl);
    tip.hidden = false;
    var box = anchorEl.getBoundingClientRect();
    var host = tip.offsetParent ? tip.offsetParent.getBoundingClientRect() : { left: 0, top: 0, width: window.innerWidth };
    var left = Math.min(Math.max(4, box.left - host.left + 40), Math.max(4, host.width - tip.offsetWidth - 4));
    tip.style.left = left + 'px';
    tip.style.top = (box.bottom - host.top + 4) + 'px';
  }

  function hideTip() {
    tipFor = null;
    $('tip').hidden = true;
  }

  /* ---- polling ---- */

  function pollEvents() {
    return api('GET', '/mock/v1/events?since=' + state.since).then(function (j) {
      var evs = (j && j.events) || [];
      evs.forEach(takeEvent);
      if (j && typeof j.next === 'number') {
        state.since = j.next;
      }
      if (j && j.dropped) {
        state.dropped += j.dropped;
      }
    });
  }

  function pollRequests() {
    return api('GET', '/mock/v1/requests?since=' + state.reqSince).then(function (j) {
      var rs = (j && j.requests) || [];
      rs.forEach(addFeedRequest);
      if (j && typeof j.next === 'number') {
        state.reqSince = j.next;
      }
    }).catch(function () {
      /* The journal is optional for the page. */
    });
  }

  function pollKeys() {
    if (!needKeys) {
      return Promise.resolve();
    }
    return api('GET', '/mock/v1/keys').then(function (j) {
      var kids = collectKids(j, new Set());
      state.keys = kids.size ? kids : null;
      needKeys = false;
    }).catch(function () {
      needKeys = false;
    });
  }

  function refresh() {
    if (state.busy) {
      return Promise.resolve();
    }
    state.busy = true;
    return api('GET', '/mock/v1/clock').then(takeClock).then(function () {
      return pollEvents();
    }).then(function () {
      return Promise.all([pollRequests(), pollKeys()]);
    }).then(function () {
      setConn('live · ' + state.tokens.size + ' token' + (state.tokens.size === 1 ? '' : 's') +
              ' · event ' + state.since, false);
      var dp = $('dropped');
      dp.hidden = !state.dropped;
      dp.textContent = state.dropped + ' older events were dropped by the server\'s ring buffer.';
    }).catch(function (e) {
      if (e.status === 401 || e.status === 403) {
        setConn('the admin token was refused (' + e.status + '): open the link mockapi printed', true);
      } else if (e.status === 404) {
        setConn('this mockapi has no admin API (/mock/v1): ' + e.message, true);
      } else {
        setConn('cannot reach mockapi: ' + e.message, true);
      }
    }).then(function () {
      state.busy = false;
      drawClock();
      drawTimeline();
    });
  }

  function wire() {
    var i;
    var adv = document.querySelectorAll('[data-advance]');
    for (i = 0; i < adv.length; i++) {
      adv[i].addEventListener('click', function (ev) {
        clockAction('POST', '/mock/v1/clock/advance',
                    { seconds: Number(ev.currentTarget.getAttribute('data-advance')) });
      });
    }
    var rates = document.querySelectorAll('[data-rate]');
    for (i = 0; i < rates.length; i++) {
      rates[i].addEventListener('click', function (ev) {
        clockAction('PUT', '/mock/v1/clock', { rate: Number(ev.currentTarget.getAttribute('data-rate')) });
      });
    }
    $('freeze').addEventListener('click', function () { clockAction('PUT', '/mock/v1/clock', { frozen: true }); });
    $('resume').addEventListener('click', function () { clockAction('PUT', '/mock/v1/clock', { frozen: false }); });
    var wins = document.querySelectorAll('[data-window]');
    for (i = 0; i < wins.length; i++) {
      wins[i].addEventListener('click', function (ev) {
        state.windowSel = ev.currentTarget.getAttribute('data-window');
        for (var k = 0; k < wins.length; k++) {
          wins[k].setAttribute('aria-pressed', wins[k] === ev.currentTarget ? 'true' : 'false');
        }
        drawTimeline();
      });
    }
    document.addEventListener('keydown', function (ev) {
      if (ev.key === 'Escape') {
        hideTip();
      }
    });
    var resizeTimer = 0;
    window.addEventListener('resize', function () {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(drawTimeline, 100);
    });
    window.addEventListener('hashchange', function () {
      adminToken = readToken();
      start();
    });
  }

  var pollTimer = 0;
  var tickTimer = 0;

  function start() {
    clearInterval(pollTimer);
    clearInterval(tickTimer);
    $('notoken').hidden = !!adminToken;
    if (!adminToken) {
      setConn('no admin token in the link', true);
      return;
    }
    refresh();
    pollTimer = setInterval(refresh, POLL_MS);
    tickTimer = setInterval(drawClock, 250);
  }

  document.addEventListener('DOMContentLoaded', function () {
    adminToken = readToken();
    wire();
    start();
  });
}());
