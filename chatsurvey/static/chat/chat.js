/* The chat page. Plain script, no framework, nothing from another site.
 *
 * Privacy on a shared device: the conversation token lives only in this script's memory
 * (never localStorage, sessionStorage, cookies or the URL). Quick exit (button or Esc)
 * forgets it, empties the page, tells the server, and replaces this page in the history.
 *
 * Every message carries a random id; after a network error the same message is sent
 * again with the same id, and the server answers it once (replays change nothing).
 *
 * Every word the page shows itself comes from config.strings (web.po, through the page's
 * template); the survey's own words come in the server's replies. Message text is only
 * ever set as text (textContent, text nodes), never parsed as HTML.
 */
(function () {
  'use strict';

  var config = JSON.parse(document.getElementById('chat-config').textContent);
  var S = config.strings;
  var log = document.getElementById('log');
  var answer = document.getElementById('answer');
  var statusLine = document.getElementById('status');
  var startButton = document.getElementById('start');
  var speakIcon = document.getElementById('speaker-icon');
  var canSpeak = 'speechSynthesis' in window && 'SpeechSynthesisUtterance' in window;
  var voices = [];       // the browser's voices; the list can arrive after the page loads

  var token = null;      // the conversation: in memory only
  var busy = false;
  var counter = 0;
  var leaving = false;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === null || value === undefined || value === false) return;
      if (name === 'text') node.textContent = value;
      else if (name === 'onclick') node.addEventListener('click', value);
      else node.setAttribute(name, value === true ? '' : String(value));
    });
    (children || []).forEach(function (child) { if (child) node.append(child); });
    return node;
  }

  function newId() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return (b < 16 ? '0' : '') + b.toString(16);
    }).join('');
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function uid(prefix) { counter += 1; return prefix + '-' + counter; }

  function announce(text) { statusLine.textContent = ''; statusLine.textContent = text; }

  /* A page string with its %(name)s placeholders filled in. */
  function fillText(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (all, name) {
      return name in values ? String(values[name]) : all;
    });
  }

  function listOf(items, lang) {
    try { return new Intl.ListFormat(lang, { type: 'conjunction' }).format(items); } catch (e) {
      return items.join(', ');
    }
  }

  function sleep(ms) { return new Promise(function (done) { setTimeout(done, ms); }); }

  // -- talking to the server --

  function request(path, body, method) {
    var headers = { 'Content-Type': 'application/json' };
    if (token) headers.Authorization = 'Bearer ' + token;
    return fetch(config.api + path, {
      method: method || 'POST', headers: headers, body: JSON.stringify(body),
      credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer'
    });
  }

  /* POST, retrying network errors and 503 (busy) with the same body: safe because of the
     message id. Resolves to {status, data}; status 0 means the server never answered. */
  async function post(path, body) {
    for (var attempt = 0; ; attempt += 1) {
      var response = null;
      try { response = await request(path, body); } catch (e) { response = null; }
      if (leaving) return { status: -1, data: null };
      if (response && response.status !== 503) {
        var data = null;
        try { data = await response.json(); } catch (e) { data = null; }
        return { status: response.status, data: data };
      }
      if (attempt >= 3) return { status: 0, data: null };
      if (attempt === 1) announce(S.retrying);
      await sleep(600 * Math.pow(2, attempt));
    }
  }

  // -- helplines: numbers in the survey's messages become links to call or text --

  /* UK numbers as the support messages write them: 0800 1111, 0808 800 5792, 080880 23456,
     116 123, +44 ..., 999/111/112, and 5-digit text short codes (85258, 84001) for sms:.
     The leading group keeps "aged 16", "£75000" or "1 of 12345" from becoming links. */
  var PHONE = /(^|[^\w+£$€])(\+44(?:[ -]?\d){9,10}|0(?:[ -]?\d){7,10}|116[ -]?\d{3}|999|111|112|[6-8]\d{4})(?![\w£$€]|[ -]?\d)/g;

  /* A link that calls (or texts) ``number``. It shows the number as written; its name says
     what tapping does ("Call 0800 1111"), the extra words hidden. The number is kept
     left-to-right, so 0800 1111 does not turn into 1111 0800 in an Arabic sentence. */
  function phoneLink(number) {
    var digits = number.replace(/[^\d+]/g, '');
    var texting = /^[6-8]\d{4}$/.test(digits);
    var children = [];
    (texting ? S.textNumber : S.callNumber).split('%(number)s').forEach(function (words, i) {
      if (i > 0) children.push(el('span', { dir: 'ltr', text: number }));
      if (words) children.push(el('span', { 'class': 'visually-hidden', lang: config.uiLang, text: words }));
    });
    return el('a', { 'class': 'phone', href: (texting ? 'sms:' : 'tel:') + digits }, children);
  }

  /* A paragraph of message text, its phone numbers as links; built from text nodes only. */
  function linked(tag, attrs, text) {
    var node = el(tag, attrs);
    var at = 0;
    PHONE.lastIndex = 0;
    for (var m = PHONE.exec(text); m; m = PHONE.exec(text)) {
      var begins = m.index + m[1].length;
      node.append(document.createTextNode(text.slice(at, begins)), phoneLink(m[2]));
      at = begins + m[2].length;
    }
    node.append(document.createTextNode(text.slice(at)));
    return node;
  }

  // -- read aloud: each part in its own language, with a voice for that language --

  function loadVoices() {
    if (canSpeak) voices = window.speechSynthesis.getVoices() || [];
  }

  function tag(lang) { return String(lang || '').toLowerCase().replace(/_/g, '-'); }

  /* The browser's voice for ``lang``: the same tag if there is one, else the same language. */
  function voiceFor(lang) {
    var wanted = tag(lang);
    var same = voices.filter(function (v) { return tag(v.lang).split('-')[0] === wanted.split('-')[0]; });
    return same.filter(function (v) { return tag(v.lang) === wanted; })[0] || same[0] || null;
  }

  /* Consecutive parts in the same language become one utterance. */
  function byLanguage(parts) {
    var groups = [];
    parts.forEach(function (part) {
      var last = groups[groups.length - 1];
      if (last && last.lang === part.lang) last.text += '. ' + part.text;
      else groups.push({ text: part.text, lang: part.lang });
    });
    return groups;
  }

  function languageName(lang) {
    try {
      return new Intl.DisplayNames([config.uiLang], { type: 'language' }).of(lang) || lang;
    } catch (e) { return lang; }
  }

  /* Read ``parts`` aloud; returns the words to show if some (or all) cannot be read. */
  function speak(parts) {
    if (!canSpeak) return S.noSpeech;
    loadVoices();
    window.speechSynthesis.cancel();
    var missing = [];
    byLanguage(parts).forEach(function (group) {
      var voice = voiceFor(group.lang);
      if (!voice) { if (missing.indexOf(group.lang) < 0) missing.push(group.lang); return; }
      var utterance = new SpeechSynthesisUtterance(group.text);
      utterance.voice = voice;
      utterance.lang = voice.lang;
      utterance.rate = 0.9;
      window.speechSynthesis.speak(utterance);
    });
    if (!missing.length) return null;
    if (!voices.length) return S.noSpeech;
    return fillText(S.noVoice, { language: listOf(missing.map(languageName), config.uiLang) });
  }

  /* The read-aloud button of a message in ``lang``. It shows only while the browser has a
     voice for that language; see refreshSpeech. */
  function speakButton(parts, words, lang) {
    var button = el('button', { type: 'button', 'class': 'speak', lang: config.uiLang, 'data-lang': lang }, [
      speakIcon.content.cloneNode(true),
      el('span', { 'class': 'visually-hidden', text: S.readAloud })
    ]);
    button.hidden = !voiceFor(lang);
    button.addEventListener('click', function () {
      var old = words.querySelector('.speech-note');
      if (old) old.remove();
      var problem = speak(parts);
      if (!problem) return;
      words.append(el('p', { 'class': 'aside speech-note', lang: config.uiLang, dir: config.uiDir, text: problem }));
      announce(problem);
    });
    return button;
  }

  /* What to say when a language has no voice here: which one, or that there is none at all. */
  function noVoiceFor(lang) {
    if (!canSpeak || !voices.length) return S.noSpeech;
    return fillText(S.noVoice, { language: languageName(lang) });
  }

  /* Show each message's read-aloud button only where a voice for its language exists; where
     none does, say so once, plainly, under the first such message. Run again whenever the
     browser's list of voices changes (it can arrive after the page loads). */
  function refreshSpeech() {
    loadVoices();
    var told = {};
    Array.prototype.forEach.call(log.querySelectorAll('.speak'), function (button) {
      var lang = button.getAttribute('data-lang');
      var words = button.parentNode.querySelector('.words');
      var note = words.querySelector('.no-voice');
      button.hidden = !voiceFor(lang);
      var text = button.hidden ? noVoiceFor(lang) : null;
      if (!text || told[text]) { if (note) note.remove(); return; }
      told[text] = true;
      if (note && note.textContent === text) return;
      if (note) note.remove();
      words.append(el('p', { 'class': 'aside speech-note no-voice', lang: config.uiLang, dir: config.uiDir, text: text }));
    });
  }

  // -- drawing messages --

  function addBot(reply) {
    var id = uid('m');
    var words = el('div', { 'class': 'words' });
    if (reply.intro) words.append(linked('p', { 'class': 'aside' }, reply.intro));
    words.append(linked('p', { id: id }, reply.text));
    if (reply.ends) words.append(linked('p', { 'class': 'aside' }, reply.ends));
    var spoken = [reply.intro, reply.text, reply.ends].filter(Boolean).map(function (text) {
      return { text: text, lang: reply.lang };
    });
    (reply.options || []).forEach(function (o) { spoken.push({ text: o.label, lang: o.lang || reply.lang }); });
    var bubble = el('div', {
      'class': 'msg bot' + (reply.type === 'notice' ? ' notice' : ''),
      lang: reply.lang, dir: reply.dir
    }, [words, speakButton(spoken, words, reply.lang)]);
    log.append(bubble);
    return id;
  }

  function addMine(text, lang) {
    log.append(el('div', { 'class': 'msg me', lang: lang || null, dir: 'auto' }, [
      el('p', {}, [el('span', { 'class': 'visually-hidden', lang: config.uiLang, dir: config.uiDir, text: S.youSaid + ' ' }),
        document.createTextNode(text)])
    ]));
  }

  function addNotice(text, action) {
    var words = el('div', { 'class': 'words', lang: config.uiLang, dir: config.uiDir }, [el('p', { text: text })]);
    if (action) words.append(action);
    var bubble = el('div', { 'class': 'msg bot notice' }, [words]);
    log.append(bubble);
    return bubble;
  }

  // -- answering --

  function focusFirst() {
    var first = answer.querySelector('button:not(:disabled), input, textarea');
    if (first) {
      first.focus({ preventScroll: true });
      first.scrollIntoView({ block: 'nearest' });
    }
  }

  /* While a message is on its way, taps are ignored rather than buttons disabled: a disabled
     button would drop keyboard and screen-reader focus back to the top of the page. */
  function lock(on) {
    busy = on;
    answer.setAttribute('aria-busy', on ? 'true' : 'false');
  }

  /* Arrow keys move between the answers of one question; Tab still works too. */
  function arrowKeys(group) {
    group.addEventListener('keydown', function (event) {
      var items = Array.prototype.slice.call(group.querySelectorAll('button, input'));
      var at = items.indexOf(document.activeElement);
      if (at < 0) return;
      var rtl = getComputedStyle(group).direction === 'rtl';
      var step = { ArrowDown: 1, ArrowUp: -1, ArrowRight: rtl ? -1 : 1, ArrowLeft: rtl ? 1 : -1 }[event.key];
      var next = null;
      if (step) next = items[(at + step + items.length) % items.length];
      else if (event.key === 'Home') next = items[0];
      else if (event.key === 'End') next = items[items.length - 1];
      if (next) { event.preventDefault(); next.focus(); }
    });
    return group;
  }

  /* What is drawn beside an answer's words: its picture (the same on every phone), else
     its emoji. Both are decoration: the words say it all, so screen readers skip them. */
  function picture(option) {
    if (option.icon) {
      return el('img', { 'class': 'picture', src: config.pictures + encodeURIComponent(option.icon) + '.svg',
        alt: '', width: 48, height: 48, draggable: 'false' });
    }
    if (option.emoji) return el('span', { 'class': 'emoji', 'aria-hidden': 'true', text: option.emoji });
    return null;
  }

  function optionButton(question, option) {
    var children = [];
    var drawn = picture(option);
    if (drawn) children.push(drawn);
    children.push(el('span', { 'class': 'label', text: option.label }));
    return el('button', {
      type: 'button', 'class': 'option', lang: option.lang || null,
      onclick: function () { send({ value: option.value }, option.label, option.lang); }
    }, children);
  }

  function choices(question, qid) {
    var group = el('div', { role: 'group', 'aria-labelledby': qid, 'class': 'options ' + question.input });
    if (question.input === 'scale') {
      for (var n = question.min; n <= question.max; n += 1) {
        group.append(optionButton(question, { value: n, label: String(n) }));
      }
    } else {
      question.options.forEach(function (o) { group.append(optionButton(question, o)); });
    }
    return arrowKeys(group);
  }

  function several(question, qid) {
    var form = el('form', { 'class': 'several', novalidate: true });
    var group = el('fieldset', { 'class': 'options multi', 'aria-labelledby': qid });
    question.options.forEach(function (o) {
      group.append(el('label', { 'class': 'choice-box', lang: o.lang || null }, [
        el('input', { type: 'checkbox', value: o.value, 'data-label': o.label }),
        picture(o),
        el('span', { 'class': 'label', text: o.label })
      ]));
    });
    form.append(group, el('button', { type: 'submit', 'class': 'send', text: question.send_label || S.send }));
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      var picked = Array.from(form.querySelectorAll('input:checked'));
      var labels = picked.map(function (i) { return i.getAttribute('data-label'); });
      send({ value: picked.map(function (i) { return i.value; }) },
        labels.length ? listOf(labels, question.lang) : S.nothingChosen);
    });
    return form;
  }

  function typed(question, qid) {
    var hintId = uid('hint');
    var long = question.input === 'text';
    var field = long
      ? el('textarea', { 'class': 'field', dir: 'auto', maxlength: question.max_length || null, rows: 4 })
      : el('input', { 'class': 'field', type: 'text', inputmode: 'numeric', pattern: '[0-9]*' });
    field.setAttribute('aria-labelledby', qid);
    field.setAttribute('aria-describedby', hintId);
    field.setAttribute('autocomplete', 'off');  // nothing typed stays in the browser's memory
    var hintText = long ? S.typeHere : question.min === undefined ? S.typeNumber
      : fillText(S.typeRange, { min: question.min, max: question.max });
    var hint = el('p', { id: hintId, 'class': 'hint', lang: config.uiLang, dir: config.uiDir, text: hintText });
    var form = el('form', { 'class': 'typed', novalidate: true }, [
      field, hint, el('button', { type: 'submit', 'class': 'send', lang: config.uiLang, dir: config.uiDir, text: S.send })
    ]);
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      var text = field.value.trim();
      if (!text) { hint.textContent = S.needAnswer; announce(S.needAnswer); field.focus(); return; }
      send({ text: text }, text);
    });
    if (long) {
      field.addEventListener('keydown', function (event) {
        if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
          event.preventDefault();
          form.dispatchEvent(new Event('submit', { cancelable: true }));
        }
      });
    }
    return form;
  }

  function progress(question) {
    var id = uid('progress');
    return el('div', { 'class': 'progress', lang: question.lang }, [
      el('span', { id: id, text: question.progress.text }),
      el('progress', { max: question.progress.total, value: question.progress.n, 'aria-labelledby': id })
    ]);
  }

  function showQuestion(question, qid) {
    document.documentElement.lang = question.lang;
    document.documentElement.dir = question.dir;
    var body = question.input === 'multi' ? several(question, qid)
      : question.input === 'number' || question.input === 'text' ? typed(question, qid)
        : choices(question, qid);
    if (question.progress) answer.append(progress(question));
    if (question.input === 'scale' && question.min_label && question.max_label) {
      answer.append(el('p', { 'class': 'scale-ends', 'aria-hidden': 'true' }, [
        el('span', { text: question.min + ' = ' + question.min_label }),
        el('span', { text: question.max + ' = ' + question.max_label })
      ]));
    }
    answer.append(body);
    if (question.skip) {
      answer.append(el('button', {
        type: 'button', 'class': 'skip', text: question.skip_label,
        onclick: function () { send({ command: 'skip' }, question.skip_label); }
      }));
    }
    answer.append(el('div', { 'class': 'more', lang: config.uiLang }, [
      el('button', { type: 'button', dir: config.uiDir, text: S.back, onclick: function () { send({ command: 'back' }, S.back); } }),
      el('button', { type: 'button', dir: config.uiDir, text: S.support, onclick: function () { send({ command: 'support' }, S.support); } })
    ]));
    answer.append.apply(answer, deleteAnswers());
  }

  /* "Delete my answers" on every question, asked twice: the button opens a short question
     right under it (focus moves there); only "Yes, delete them" sends the stop command.
     "No, keep them" closes it and puts focus back on the button. */
  function deleteAnswers() {
    var panelId = uid('delete');
    var askId = uid('delete-ask');
    var ask = el('p', { id: askId, tabindex: '-1', text: S.deleteAsk });
    var open = el('button', {
      type: 'button', 'class': 'delete', lang: config.uiLang, dir: config.uiDir, text: S.deleteAnswers,
      'aria-expanded': 'false', 'aria-controls': panelId
    });
    var panel = el('div', {
      id: panelId, 'class': 'confirm', role: 'group', 'aria-labelledby': askId,
      lang: config.uiLang, dir: config.uiDir, hidden: true
    }, [ask, el('div', { 'class': 'confirm-buttons' }, [
      el('button', { type: 'button', 'class': 'delete-yes', text: S.deleteYes,
        onclick: function () { send({ command: 'stop' }, S.deleteAnswers); } }),
      el('button', { type: 'button', 'class': 'delete-no', text: S.deleteNo,
        onclick: function () { shut(); open.focus(); } })
    ])]);
    function shut() { panel.hidden = true; open.setAttribute('aria-expanded', 'false'); resized(); }
    open.addEventListener('click', function () {
      if (!panel.hidden) { shut(); return; }
      panel.hidden = false;
      open.setAttribute('aria-expanded', 'true');
      ask.focus({ preventScroll: true });
      panel.scrollIntoView({ block: 'nearest' });
      resized();
    });
    return [el('div', { 'class': 'leave', lang: config.uiLang }, [open]), panel];
  }

  function show(result) {
    var question = null;
    var qid = null;
    (result.replies || []).forEach(function (reply) {
      var id = addBot(reply);
      if (reply.type === 'question') { question = reply; qid = id; }
    });
    clear(answer);
    if (result.status !== 'active') { finish(); return; }
    if (question) showQuestion(question, qid);
    refreshSpeech();
    focusFirst();
    resized();
  }

  function finish() {
    token = null;
    var note = el('p', { tabindex: '-1', text: S.ended });
    answer.append(el('div', { 'class': 'end', lang: config.uiLang, dir: config.uiDir }, [
      note, el('button', { type: 'button', 'class': 'primary', text: S.clear, onclick: quickExit })
    ]));
    note.focus();
    resized();
  }

  function problem(result, retry) {
    if (result.status === 404 && token) {
      token = null;
      clear(answer);
      var again = el('button', { type: 'button', 'class': 'secondary retry', text: S.startAgain, onclick: begin });
      addNotice(S.timedOut, again);
      again.focus();
    } else if (result.status === 410 || result.status === 403) {
      addNotice(S.closed).setAttribute('tabindex', '-1');
    } else {
      var button = el('button', { type: 'button', 'class': 'secondary retry', text: S.tryAgain });
      var notice = addNotice(S.offline, button);
      button.addEventListener('click', function () { notice.remove(); retry(); });
      button.focus();
    }
    resized();
  }

  async function send(inbound, echo, lang, id) {
    if (busy || !token) return;
    id = id || newId();
    if (echo) addMine(echo, lang);
    lock(true);
    var result = await post('/conversation/messages', Object.assign({ message_id: id }, inbound));
    lock(false);
    if (result.status === -1) return;
    if (result.status === 200) show(result.data);
    else problem(result, function () { send(inbound, null, null, id); });
  }

  async function begin(event, id, secret) {
    if (busy) return;
    id = typeof id === 'string' ? id : newId();
    secret = secret || newId();  // sent again only with this start: a lost answer comes back
    busy = true;
    startButton.disabled = true;
    var body = { message_id: id, start_secret: secret };
    if (config.locale) body.locale = config.locale;
    if (config.ageBand) body.age_band = config.ageBand;
    var result = await post('/conversations', body);
    busy = false;
    if (result.status === -1) return;
    if (result.status === 201) {
      startButton.hidden = true;
      var languages = document.getElementById('languages');
      if (languages) languages.hidden = true;  // chosen: the conversation is in this language
      token = result.data.conversation;
      show(result.data);
    } else {
      startButton.disabled = false;
      problem(result, function () { begin(null, id, secret); });
    }
  }

  // -- leaving --

  function quickExit() {
    if (leaving) return;
    leaving = true;
    var gone = token;
    token = null;
    if (gone) {
      try {
        fetch(config.api + '/conversation/exit', {
          method: 'POST', keepalive: true, credentials: 'omit', referrerPolicy: 'no-referrer',
          headers: { Authorization: 'Bearer ' + gone }
        }).catch(function () {});
      } catch (e) { /* leaving matters more than telling the server */ }
    }
    if (canSpeak) window.speechSynthesis.cancel();
    clear(log);
    clear(answer);
    document.title = '';
    try { history.replaceState(null, '', '/'); } catch (e) { /* not on every browser */ }
    if (config.embed) {
      try { window.top.location.replace(config.exitUrl); return; } catch (e) { /* fall through */ }
    }
    window.location.replace(config.exitUrl);
  }

  // -- the widget's frame: tell the council's page how tall we are, and nothing else --

  function resized() {
    if (!config.parentOrigin || window.parent === window) return;
    var height = Math.ceil(document.body.getBoundingClientRect().height);
    window.parent.postMessage({ type: 'chatsurvey:resize', height: height }, config.parentOrigin);
  }

  window.addEventListener('message', function (event) {
    if (!config.parentOrigin || event.origin !== config.parentOrigin || event.source !== window.parent) return;
    if (event.data && event.data.type === 'chatsurvey:focus') {
      if (!startButton.hidden) startButton.focus(); else focusFirst();
    }
  });

  document.getElementById('quick-exit').addEventListener('click', quickExit);
  document.addEventListener('keydown', function (event) {
    if (event.key === 'Escape' && !event.isComposing) { event.preventDefault(); quickExit(); }
  });
  if (canSpeak) {
    loadVoices();
    if (window.speechSynthesis.addEventListener) window.speechSynthesis.addEventListener('voiceschanged', refreshSpeech);
  }
  startButton.addEventListener('click', begin);
  startButton.disabled = false;
  if ('ResizeObserver' in window && config.parentOrigin) new ResizeObserver(resized).observe(document.body);
  resized();
})();
