/* The survey chat on a council's own page, from one tag:
 *
 *   <script src="https://CHAT-HOST/widget.js" data-survey="LINK" async></script>
 *
 * Optional: data-label (the button's words), data-title (the panel's name),
 * data-close, data-lang (e.g. cy), data-age (e.g. 8-11).
 *
 * It adds a button; the button opens a panel holding the chat page in an iframe from the
 * chat host. The page inside keeps the conversation; this script never sees it. The only
 * message between the two is the frame's height (checked: from the chat host's origin, from
 * our own iframe, with the expected shape) and a request to put focus inside the frame.
 * Styles are set through the CSSOM inside a shadow root, so neither the council's CSS nor a
 * strict CSP on their page gets in the way, and nothing is added to their global scope.
 */
(function () {
  'use strict';

  var script = document.currentScript;
  if (!script || !script.src) return;
  var link = script.getAttribute('data-survey') || '';
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(link)) return;
  var origin = new URL(script.src, window.location.href).origin;
  var label = script.getAttribute('data-label') || 'Take our survey';
  var title = script.getAttribute('data-title') || 'Survey chat';
  var closeLabel = script.getAttribute('data-close') || 'Close';
  var lang = script.getAttribute('data-lang');
  var age = script.getAttribute('data-age');

  function css(node, styles) {
    Object.keys(styles).forEach(function (name) { node.style.setProperty(name, styles[name]); });
    return node;
  }

  var FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif';
  var host = document.createElement('div');
  var root = host.attachShadow({ mode: 'open' });

  var launcher = css(document.createElement('button'), {
    position: 'fixed', bottom: '16px', 'inset-inline-end': '16px', 'z-index': '2147483000',
    'min-height': '48px', 'min-width': '48px', padding: '12px 20px', border: '2px solid #ffffff',
    'border-radius': '24px', background: '#1d5d90', color: '#ffffff', font: '600 18px/1.2 ' + FONT,
    cursor: 'pointer', 'box-shadow': '0 2px 8px rgba(0,0,0,.35)'
  });
  launcher.type = 'button';
  launcher.textContent = label;
  launcher.setAttribute('aria-expanded', 'false');

  var panel = css(document.createElement('div'), {
    position: 'fixed', bottom: '16px', 'inset-inline-end': '16px', 'z-index': '2147483001',
    width: 'min(420px, calc(100vw - 16px))', display: 'none', 'flex-direction': 'column',
    background: '#ffffff', border: '2px solid #1d5d90', 'border-radius': '16px',
    overflow: 'hidden', 'box-shadow': '0 4px 24px rgba(0,0,0,.35)'
  });
  panel.id = 'chatsurvey-panel';
  panel.setAttribute('role', 'dialog');
  panel.setAttribute('aria-modal', 'false');
  panel.setAttribute('aria-label', title);
  launcher.setAttribute('aria-controls', panel.id);

  var bar = css(document.createElement('div'), {
    display: 'flex', 'align-items': 'center', 'justify-content': 'space-between', gap: '8px',
    padding: '4px 4px 4px 12px', background: '#ffffff', color: '#0b0c0c',
    font: '600 16px/1.2 ' + FONT, 'border-bottom': '1px solid #8a96a3'
  });
  var heading = document.createElement('span');
  heading.textContent = title;
  var close = css(document.createElement('button'), {
    'min-height': '44px', 'min-width': '44px',
    padding: '8px 14px', border: '2px solid #1d5d90', 'border-radius': '12px',
    background: '#ffffff', color: '#0b0c0c', font: '600 16px/1.2 ' + FONT, cursor: 'pointer'
  });
  close.type = 'button';
  close.textContent = closeLabel;

  var frame = null;

  function maxHeight() { return Math.max(240, window.innerHeight - 100); }

  function frameUrl() {
    var url = new URL('/s/' + encodeURIComponent(link), origin);
    url.searchParams.set('embed', '1');
    url.searchParams.set('parent', window.location.origin);
    if (lang) url.searchParams.set('lang', lang);
    if (age) url.searchParams.set('age', age);
    return url.href;
  }

  function makeFrame() {
    frame = css(document.createElement('iframe'), {
      border: '0', width: '100%', height: Math.min(640, maxHeight()) + 'px', display: 'block'
    });
    frame.title = title;
    frame.src = frameUrl();
    frame.referrerPolicy = 'no-referrer';
    frame.setAttribute('sandbox', 'allow-scripts allow-same-origin allow-forms ' +
      'allow-top-navigation-by-user-activation');
    frame.addEventListener('load', function () { focusFrame(); });
    panel.append(frame);
  }

  function focusFrame() {
    if (!frame || panel.style.display === 'none') return;
    frame.focus();
    frame.contentWindow.postMessage({ type: 'chatsurvey:focus' }, origin);
  }

  function open() {
    if (!frame) makeFrame();
    panel.style.display = 'flex';
    launcher.style.display = 'none';
    launcher.setAttribute('aria-expanded', 'true');
    focusFrame();
  }

  function shut() {
    panel.style.display = 'none';
    launcher.style.display = '';
    launcher.setAttribute('aria-expanded', 'false');
    launcher.focus();
  }

  window.addEventListener('message', function (event) {
    if (event.origin !== origin || !frame || event.source !== frame.contentWindow) return;
    var data = event.data;
    if (!data || data.type !== 'chatsurvey:resize' || typeof data.height !== 'number' ||
        !isFinite(data.height)) return;
    frame.style.height = Math.round(Math.max(240, Math.min(data.height, maxHeight(), 720))) + 'px';
  });

  launcher.addEventListener('click', open);
  close.addEventListener('click', shut);
  panel.addEventListener('keydown', function (event) {
    if (event.key === 'Escape') { event.preventDefault(); shut(); }
  });

  bar.append(heading, close);
  panel.append(bar);
  root.append(launcher, panel);
  if (document.body) document.body.append(host);
  else document.addEventListener('DOMContentLoaded', function () { document.body.append(host); });
})();
