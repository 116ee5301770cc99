/* The flow editor: YAML highlighting, live `flows check` results, and the simulator.
   Everything here improves a page that works without it: the form still saves and publishes. */
(function () {
  'use strict';

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute('content') : '';
  }

  function postJSON(url, body) {
    return fetch(url, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json', 'X-CSRFToken': csrfToken() },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return { error: 'The server answered ' + response.status }; })
        .then(function (data) { data._status = response.status; return data; });
    });
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  /* -- highlighting -- */

  function escapeHTML(s) {
    return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  }

  var TOKEN = /(#.*$)|("(?:[^"\\]|\\.)*"?|'(?:[^']|'')*'?)|(^\s*(?:-\s+)?[\w.-]+(?=\s*:(?:\s|$)))|(\b-?\d+(?:\.\d+)?\b|\b(?:true|false|null|yes|no)\b)|([:\-[\]{},|>])/g;

  function highlightLine(line) {
    var out = '';
    var last = 0;
    line.replace(TOKEN, function (match, com, str, key, num, punct, offset) {
      out += escapeHTML(line.slice(last, offset));
      var cls = com ? 'tok-com' : str ? 'tok-str' : key ? 'tok-key' : num ? 'tok-num' : 'tok-punct';
      out += '<span class="' + cls + '">' + escapeHTML(match) + '</span>';
      last = offset + match.length;
      return match;
    });
    return out + escapeHTML(line.slice(last));
  }

  function Editor(form) {
    this.form = form;
    this.textarea = form.querySelector('textarea');
    this.code = document.getElementById('highlight');
    this.pre = this.code.parentNode;
    this.badLines = {};
    this.timer = null;
    this.sent = null;
    this.form.querySelector('.code-editor').classList.add('js-highlight');
    var self = this;
    this.textarea.addEventListener('input', function () { self.paint(); self.schedule(); });
    this.textarea.addEventListener('scroll', function () { self.sync(); });
    this.textarea.addEventListener('keydown', function (event) { self.key(event); });
    document.getElementById('problems').addEventListener('click', function (event) {
      var line = event.target.getAttribute && event.target.getAttribute('data-line');
      if (line) { event.preventDefault(); self.goTo(parseInt(line, 10)); }
    });
    this.paint();
    this.check();
  }

  Editor.prototype.paint = function () {
    var bad = this.badLines;
    var lines = this.textarea.value.split('\n');
    this.code.innerHTML = lines.map(function (line, i) {
      var html = highlightLine(line);
      return bad[i + 1] ? '<span class="tok-bad">' + (html || ' ') + '</span>' : html;
    }).join('\n') + '\n';
    this.sync();
  };

  Editor.prototype.sync = function () {
    this.pre.scrollTop = this.textarea.scrollTop;
    this.pre.scrollLeft = this.textarea.scrollLeft;
  };

  Editor.prototype.key = function (event) {
    if (event.key === 'Escape') { this.escaped = true; return; }
    if (event.key === 'Tab' && !this.escaped && !event.shiftKey) {
      event.preventDefault();
      var ta = this.textarea;
      var start = ta.selectionStart;
      ta.setRangeText('  ', start, ta.selectionEnd, 'end');
      this.paint();
      this.schedule();
      return;
    }
    this.escaped = false;
  };

  Editor.prototype.goTo = function (line) {
    var ta = this.textarea;
    var lines = ta.value.split('\n');
    var start = 0;
    for (var i = 0; i < line - 1 && i < lines.length; i++) { start += lines[i].length + 1; }
    var end = start + (lines[line - 1] || '').length;
    ta.focus();
    ta.setSelectionRange(start, end);
    var lineHeight = parseFloat(window.getComputedStyle(ta).lineHeight) || 18;
    ta.scrollTop = Math.max(0, (line - 5) * lineHeight);
    this.sync();
  };

  Editor.prototype.schedule = function () {
    var self = this;
    window.clearTimeout(this.timer);
    var summary = document.getElementById('check-summary');
    summary.className = 'check-summary busy';
    summary.textContent = 'Checking…';
    this.timer = window.setTimeout(function () { self.check(); }, 700);
  };

  Editor.prototype.check = function () {
    var self = this;
    var source = this.textarea.value;
    this.sent = source;
    postJSON(this.form.getAttribute('data-check-url'), { source: source }).then(function (data) {
      if (self.sent !== source) { return; }  /* a newer check is on its way */
      self.show(data);
    }).catch(function () {
      var summary = document.getElementById('check-summary');
      summary.className = 'check-summary bad';
      summary.textContent = 'Could not check just now. Your draft is still here; Save draft keeps it.';
    });
  };

  Editor.prototype.show = function (data) {
    var summary = document.getElementById('check-summary');
    var list = document.getElementById('problems');
    if (data.error) {
      summary.className = 'check-summary bad';
      summary.textContent = data.error;
      return;
    }
    summary.className = 'check-summary ' + (data.ok ? 'ok' : 'bad');
    summary.textContent = data.ok ? 'No errors: this can be published.' +
      (data.warnings ? ' ' + data.warnings + ' warning(s) to read.' : '') :
      data.errors + ' error(s) to fix before publishing.';
    list.textContent = '';
    this.badLines = {};
    var self = this;
    data.problems.forEach(function (p) {
      var item = el('li', { 'class': 'problem problem-' + p.level });
      item.append(el('span', { 'class': 'level' }, p.level.charAt(0).toUpperCase() + p.level.slice(1)));
      if (p.line) {
        item.append(' ');
        item.append(el('a', { href: '#f-source', 'data-line': String(p.line) }, 'line ' + p.line));
        if (p.level === 'error') { self.badLines[p.line] = true; }
      }
      item.append(': ' + p.message);
      if (p.where) { item.append(' '); item.append(el('span', { 'class': 'where' }, '(' + p.where + ')')); }
      list.append(item);
    });
    var figures = document.getElementById('check-figures');
    if (figures && data.summary && data.summary.questions !== undefined) {
      figures.textContent = data.summary.questions + ' questions, about ' + data.summary.minutes + ' minutes.';
    }
    this.paint();
  };

  /* -- simulator -- */

  function Simulator(box, editor) {
    this.box = box;
    this.editor = editor;
    this.log = document.getElementById('sim-log');
    this.text = document.getElementById('sim-text');
    this.send = document.getElementById('sim-send');
    this.buttons = document.getElementById('sim-buttons');
    this.state = null;
    var self = this;
    document.getElementById('sim-start').addEventListener('click', function () { self.start(); });
    document.getElementById('sim-form').addEventListener('submit', function (event) {
      event.preventDefault();
      var text = self.text.value;
      if (!text.trim() || !self.state) { return; }
      self.text.value = '';
      self.say(text, text);
    });
  }

  Simulator.prototype.line = function (cls, text, side) {
    var column = this.cols && side ? this.cols[side] : null;
    var item = el(column ? 'div' : 'li', { 'class': cls });
    if (cls === 'event') {
      var parts = text.split(': ');
      item.append(el('strong', {}, parts.shift()));
      if (parts.length) { item.append(': ' + parts.join(': ')); }
    } else {
      item.textContent = text;
    }
    (column || this.log).append(item);
    this.log.scrollTop = this.log.scrollHeight;
  };

  Simulator.prototype.start = function () {
    this.log.textContent = '';
    this.state = null;
    this.log.classList.toggle('sim-sides', document.getElementById('sim-channel').value === 'both');
    this.request({
      channel: document.getElementById('sim-channel').value,
      locale: document.getElementById('sim-locale').value,
      age_band: document.getElementById('sim-band').value.trim() || null,
      country: this.box.getAttribute('data-country')
    });
  };

  Simulator.prototype.say = function (shown, message) {
    this.line('me', shown);
    this.request({ state: this.state, message: message });
  };

  Simulator.prototype.request = function (extra) {
    var self = this;
    var body = { source: this.editor.textarea.value, flow_id: this.box.getAttribute('data-flow-id') };
    Object.keys(extra).forEach(function (k) { body[k] = extra[k]; });
    this.buttons.textContent = '';
    postJSON(this.box.getAttribute('data-url'), body).then(function (data) {
      if (data.error) { self.line('sim-error', data.error); return; }
      self.state = data.state;
      var sides = data.sides ? [['web', data.sides.web], ['sms', data.sides.sms]] : [[null, data]];
      if (data.sides) {  // one row per turn: the web chat on the left, the SMS on the right
        var row = el('li', { 'class': 'sim-turn' });
        self.cols = { web: el('div', { 'class': 'sim-col' }), sms: el('div', { 'class': 'sim-col' }) };
        if (!self.log.querySelector('.sim-turn')) {
          self.cols.web.append(el('strong', { 'class': 'sim-col-title' }, 'Web chat'));
          self.cols.sms.append(el('strong', { 'class': 'sim-col-title' }, 'SMS'));
        }
        row.append(self.cols.web, self.cols.sms);
        self.log.append(row);
      }
      sides.forEach(function (pair) {
        var side = pair[0], turn = pair[1];
        (turn.replies || []).forEach(function (reply) { self.reply(reply, side); });
        (turn.events || []).forEach(function (event) {
          if (side !== 'sms') { self.line('event', event.label + (event.text ? ': ' + event.text : ''), side); }
        });
      });
      self.cols = null;
      var going = data.status !== 'finished' && data.status !== 'withdrawn' && data.status !== 'stopped';
      self.text.disabled = !going;
      self.send.disabled = !going;
      if (going) { self.text.focus(); }
    }).catch(function () { self.line('sim-error', 'The simulator could not reach the server.'); });
  };

  Simulator.prototype.reply = function (reply, side) {
    var self = this;
    var bot = 'bot';
    if (side === 'sms') {  // as the phone shows it: one text, and its cost
      this.line(bot, (reply.text || '') + (reply.segments ? '  [' + reply.segments + ' SMS]' : ''), side);
      return;
    }
    if (reply.intro) { this.line(bot, reply.intro, side); }
    this.line(bot, reply.text || '', side);
    if (reply.ends) { this.line(bot, reply.ends, side); }
    (reply.options || []).forEach(function (option) {
      var label = (option.emoji ? option.emoji + ' ' : '') + option.label;
      var button = el('button', { type: 'button', 'class': 'button secondary small' }, label);
      button.addEventListener('click', function () { self.say(label, { value: option.value }); });
      self.buttons.append(button);
    });
    if (reply.type === 'question' && reply.skip) {
      var skip = el('button', { type: 'button', 'class': 'button secondary small' }, reply.skip_label || 'Skip');
      skip.addEventListener('click', function () { self.say(skip.textContent, { command: 'skip' }); });
      this.buttons.append(skip);
    }
  };

  document.addEventListener('DOMContentLoaded', function () {
    var form = document.getElementById('editor-form');
    if (!form) { return; }
    var editor = new Editor(form);
    var box = document.getElementById('simulator');
    if (box) { new Simulator(box, editor); }
  });
})();
