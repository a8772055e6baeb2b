// SPDX-License-Identifier: GPL-3.0-or-later
// Optional: the page works without it. With it, the page reloads itself
// when an event starts, ends or changes (server-sent events).
'use strict';
(function () {
  var url = document.body.getAttribute('data-events-url');
  if (!url || !window.EventSource) {
    return;
  }
  var note = document.querySelector('.live');
  if (note) {
    note.hidden = false;
  }
  var source = new EventSource(url);
  source.addEventListener('change', function () {
    source.close();
    // Spread the reloads of many open pages over two seconds.
    window.setTimeout(function () {
      var params = new URLSearchParams(window.location.search);
      params.delete('saved');
      var query = params.toString();
      window.location.replace(window.location.pathname + (query ? '?' + query : ''));
    }, Math.random() * 2000);
  });
})();
