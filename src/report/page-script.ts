// The report page's own script, as text inlined into report.html (kept as plain ES2017 in a
// string because the build compiles for Node, without DOM types). It only wires things up:
// charts from the embedded options, log-scale toggles, table sorting and copy buttons.
export const PAGE_SCRIPT = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('plateau-data').textContent);
  var charts = {};

  function formatNumber(value) {
    if (typeof value !== 'number' || !isFinite(value)) return value === null || value === undefined ? '—' : String(value);
    var magnitude = Math.abs(value);
    if (value === 0 || (magnitude >= 1e-3 && magnitude < 1e6)) return String(Number(value.toPrecision(4)));
    return value.toExponential(3);
  }

  function escapeText(text) {
    return String(text).replace(/[&<>"]/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]; });
  }

  // An axis tooltip for many overlaid lines: the top configs first, then the others by value.
  function compactAxisTooltip(spec) {
    var shown = 8;
    return function (params) {
      var rows = params.filter(function (p) { return p.value && p.value[1] !== null && p.value[1] !== undefined; });
      var first = rows.filter(function (p) { return spec.first.indexOf(p.seriesName) >= 0; })
        .sort(function (a, b) { return spec.first.indexOf(a.seriesName) - spec.first.indexOf(b.seriesName); });
      var rest = rows.filter(function (p) { return spec.first.indexOf(p.seriesName) < 0; })
        .sort(function (a, b) { return spec.order === 'ascending' ? a.value[1] - b.value[1] : b.value[1] - a.value[1]; });
      var ordered = first.concat(rest);
      var lines = ordered.slice(0, shown).map(function (p) {
        return p.marker + escapeText(p.seriesName) + ' <b>' + formatNumber(p.value[1]) + '</b>';
      });
      if (ordered.length > shown) lines.push('… and ' + (ordered.length - shown) + ' more');
      var epoch = params.length > 0 ? params[0].value[0] : '';
      return '<b>epoch ' + epoch + '</b><br>' + lines.join('<br>');
    };
  }

  function initCharts() {
    if (typeof echarts === 'undefined') {
      document.body.classList.add('no-charts');
      return;
    }
    data.charts.forEach(function (spec) {
      var element = document.getElementById(spec.id);
      if (!element) return;
      var chart = echarts.init(element, null, { renderer: 'canvas' });
      var option = spec.option;
      if (option.tooltip && !option.tooltip.formatter) {
        option.tooltip.valueFormatter = formatNumber;
        if (spec.axisTooltip) option.tooltip.formatter = compactAxisTooltip(spec.axisTooltip);
      }
      chart.setOption(option);
      charts[spec.id] = chart;
    });
    window.addEventListener('resize', function () {
      Object.keys(charts).forEach(function (id) { charts[id].resize(); });
    });
    document.querySelectorAll('input[data-log-for]').forEach(function (input) {
      input.addEventListener('change', function () {
        var chart = charts[input.getAttribute('data-log-for')];
        if (chart) chart.setOption({ yAxis: { type: input.checked ? 'log' : 'value' } });
      });
    });
  }

  // Sorting: numbers as numbers, text as text, empty cells last in either direction.
  function initTable() {
    var table = document.getElementById('ranking');
    if (!table) return;
    var headers = table.querySelectorAll('thead th');
    table.querySelectorAll('thead button[data-column]').forEach(function (button) {
      button.addEventListener('click', function () {
        var column = Number(button.getAttribute('data-column'));
        var header = button.parentElement;
        var direction = header.getAttribute('aria-sort') === 'ascending' ? 'descending' : 'ascending';
        headers.forEach(function (th) { th.removeAttribute('aria-sort'); });
        header.setAttribute('aria-sort', direction);
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[column].getAttribute('data-sort');
          var y = b.cells[column].getAttribute('data-sort');
          if (x === '' || y === '') return x === y ? 0 : x === '' ? 1 : -1;
          var nx = Number(x);
          var ny = Number(y);
          var order = !isNaN(nx) && !isNaN(ny) ? nx - ny : x.localeCompare(y);
          return direction === 'ascending' ? order : -order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  }

  // Copy: the async clipboard where allowed (it is not on every file:// page), else a hidden
  // textarea and execCommand, else select the code so Ctrl+C works.
  function fallbackCopy(text) {
    var area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.appendChild(area);
    area.select();
    var copied = false;
    try { copied = document.execCommand('copy'); } catch (error) { copied = false; }
    document.body.removeChild(area);
    return copied;
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).then(function () { return true; }, function () { return fallbackCopy(text); });
    }
    return Promise.resolve(fallbackCopy(text));
  }

  function initCopyButtons() {
    document.querySelectorAll('button[data-copy]').forEach(function (button) {
      button.addEventListener('click', function () {
        var code = document.getElementById(button.getAttribute('data-copy'));
        copyText(code.textContent).then(function (copied) {
          if (!copied) {
            var range = document.createRange();
            range.selectNodeContents(code);
            var selection = window.getSelection();
            selection.removeAllRanges();
            selection.addRange(range);
          }
          button.textContent = copied ? 'Copied' : 'Press Ctrl+C';
          button.classList.toggle('done', copied);
          setTimeout(function () { button.textContent = 'Copy'; button.classList.remove('done'); }, 1800);
        });
      });
    });
  }

  initTable();
  initCopyButtons();
  initCharts();
})();
`;
