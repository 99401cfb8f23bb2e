// The local dashboard page. Plain browser script (no build step): it polls the dashboard's JSON
// API and draws with Chart.js, loaded as a UMD global from node_modules by index.html.
/* global Chart, document, fetch, console, setTimeout */

const REFRESH_MS = 2000;
const WINDOW_BUCKETS = 60;
const palette = ['#2f80ed', '#eb5757', '#27ae60', '#f2994a', '#9b51e0', '#56ccf2'];

const state = { config: undefined, charts: new Map(), previousTotals: {}, previousAt: 0 };

async function getJson(path, init) {
  const response = await fetch(path, init);
  const body = await response.json();
  if (response.ok) return body;
  throw new Error(`${response.status}: ${body?.error?.errorMessage ?? response.statusText}`);
}

function formatTime(t) {
  return new Date(t).toLocaleTimeString([], { hour12: false });
}

function makeChart(id, title, labels) {
  const box = document.createElement('div');
  box.className = 'chart';
  box.dataset.chart = id;
  box.innerHTML = `<h3></h3><div class="canvas-box"><canvas></canvas></div>`;
  box.querySelector('h3').textContent = title;
  document.getElementById('charts').append(box);
  const chart = new Chart(box.querySelector('canvas'), {
    type: 'line',
    data: {
      labels: [],
      datasets: labels.map((label, index) => ({
        label,
        data: [],
        borderColor: palette[index % palette.length],
        backgroundColor: palette[index % palette.length],
        pointRadius: 0,
        borderWidth: 2,
        tension: 0.2,
      })),
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: { y: { beginAtZero: true }, x: { ticks: { maxTicksLimit: 6 } } },
      plugins: { legend: { labels: { boxWidth: 10 } } },
    },
  });
  state.charts.set(id, chart);
}

function setChartData(id, labels, series) {
  const chart = state.charts.get(id);
  chart.data.labels = labels;
  for (const [index, values] of series.entries()) chart.data.datasets[index].data = values;
  chart.update('none');
}

function renderCounters(config) {
  const container = document.getElementById('counters');
  for (const counter of config.counters) {
    const box = document.createElement('div');
    box.className = 'counter';
    box.innerHTML = `<span class="label"></span><span class="value" data-metric="${counter.metric}">0</span><span class="rate"></span>`;
    box.querySelector('.label').textContent = `${counter.label} (${counter.metric})`;
    container.append(box);
  }
}

function updateMetrics(config, snapshot) {
  const now = Date.now();
  const bucketMs = snapshot.bucketMs;
  const end = now - (now % bucketMs);
  // The window ends now and starts at the first data point (a few buckets of margin), at most
  // WINDOW_BUCKETS back, so a fresh run does not draw minutes of empty axis.
  const firstPoint = Math.min(
    ...Object.values(snapshot.series).map((points) => (points.length ? points[0].t : end)),
    end,
  );
  const buckets = Math.min(WINDOW_BUCKETS, Math.max(10, (end - firstPoint) / bucketMs + 4));
  const times = [];
  for (let i = buckets - 1; i >= 0; i -= 1) times.push(end - i * bucketMs);
  const labels = times.map(formatTime);
  for (const panel of config.panels) {
    const values = panel.metrics.map((metric) => {
      const byTime = new Map((snapshot.series[metric] || []).map((p) => [p.t, p]));
      // Gauges (panels with statistics: latency, age) plot the bucket's maximum; counts its sum.
      const gauge = Boolean(panel.statistics);
      return times.map((t) => byTime.get(t)?.[gauge ? 'max' : 'sum'] ?? 0);
    });
    setChartData(`panel-${panel.title}`, labels, values);
  }
  const elapsedS = state.previousAt ? (now - state.previousAt) / 1000 : 0;
  for (const element of document.querySelectorAll('[data-metric]')) {
    const metric = element.dataset.metric;
    const total = snapshot.totals[metric]?.sum ?? 0;
    element.textContent = total.toLocaleString('en-US');
    const before = state.previousTotals[metric];
    const rate = element.parentElement.querySelector('.rate');
    if (elapsedS > 0 && before !== undefined)
      rate.textContent = `${Math.round((total - before) / elapsedS)}/s`;
    state.previousTotals[metric] = total;
  }
  state.previousAt = now;
}

function updateProgress(view) {
  const history = view.history.slice(-WINDOW_BUCKETS * 3);
  const labels = history.map((s) => formatTime(s.t));
  setChartData('lag', labels, [history.map((s) => s.consumerLag)]);
  setChartData('depth', labels, [
    history.map((s) => s.dlqMessages),
    history.map((s) => s.stagedObjects),
  ]);
  const latest = view.latest;
  if (!latest) return;
  const { consumerLag: lag, stagedObjects: staged, dlqMessages: dlq, stats } = latest;
  const shown = { lag, staged, dlq, unique: stats.uniqueRecords, payloads: stats.payloads };
  for (const [name, value] of Object.entries(shown))
    document.getElementById(`state-${name}`).textContent = value.toLocaleString('en-US');
  if (view.expectedRecords) {
    const share = Math.min(1, latest.stats.uniqueRecords / view.expectedRecords);
    document.getElementById('progress').hidden = false;
    document.getElementById('progress-fill').style.width = `${(share * 100).toFixed(1)}%`;
    document.getElementById('progress-text').textContent =
      `${latest.stats.uniqueRecords.toLocaleString('en-US')} / ${view.expectedRecords.toLocaleString('en-US')} records in Analytics (${(share * 100).toFixed(0)}%)`;
  }
}

function updateErrors(body) {
  document.getElementById('errors').replaceChildren(
    ...body.errors.map((entry) => {
      const item = document.createElement('li');
      item.textContent = `${entry.at} [${entry.functionName}] ${entry.message}`;
      return item;
    }),
  );
}

// The run's token (from /api/config, which only this origin can read) proves the operation comes
// from this page, not from another site the browser has open.
function operationHeaders() {
  return { 'content-type': 'application/json', 'x-ecom-sync-token': state.config.token };
}

function post(path, body) {
  return getJson(path, { method: 'POST', headers: operationHeaders(), body: JSON.stringify(body) });
}

function showResult(title, body) {
  document.getElementById('operation-result').textContent =
    `${formatTime(Date.now())} ${title}\n${JSON.stringify(body, null, 2)}`;
}

// The DLQ tables' columns: the entry field each shows, headed by its name but for these.
const parkedColumns = ['eventId', 'batchCount', 'attempts', 'parkedAt', 'reason'];
const failedColumns = ['position', 'key', 'condition', 'failedAt'];
const headers = { batchCount: 'batches', parkedAt: 'parked at', failedAt: 'failed at' };

function renderHead(id, columns) {
  const cells = columns.map((column) => `<th>${headers[column] ?? column}</th>`);
  document.getElementById(id).createTHead().innerHTML = `<tr>${cells.join('')}</tr>`;
}

function fillTable(id, entries, columns, addCells = () => undefined) {
  document.querySelector(`#${id} tbody`).replaceChildren(
    ...entries.map((entry) => {
      const row = document.createElement('tr');
      for (const column of columns) row.insertCell().textContent = String(entry[column]);
      addCells(row, entry);
      return row;
    }),
  );
}

function redrive(button, body) {
  return runOperation('redrive', button, async () => {
    const result = await post('/api/redrive', body);
    await refreshDlq();
    return result;
  });
}

async function refreshDlq() {
  const body = await getJson('/api/dlq', { headers: operationHeaders() });
  fillTable('dlq-table', body.result?.parked ?? [], parkedColumns, (row, entry) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = 'Redrive';
    button.addEventListener('click', () => void redrive(button, { eventId: entry.eventId }));
    row.insertCell().append(button);
  });
  const failed = body.result?.failedRecords ?? [];
  fillTable('failed-table', failed, failedColumns);
  return body;
}

async function runOperation(title, button, action) {
  button.disabled = true;
  showResult(`${title}: running…`, {});
  try {
    showResult(`${title}: done`, await action());
  } catch (error) {
    showResult(`${title}: failed`, { error: String(error.message || error) });
  } finally {
    button.disabled = false;
  }
}

function wireControls() {
  document.getElementById('resync-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const source = form.elements.source.value;
    const mode = form.elements.mode.value;
    const body = { source, redeliver: form.elements.redeliver.checked };
    if (mode === 'full') body.full = true;
    else {
      const local = document.getElementById('resync-since').value;
      if (!local) return showResult('resync', { error: 'pick a time for "since"' });
      body.since = new Date(local).toISOString();
    }
    void runOperation(`resync ${source} ${mode}`, document.getElementById('resync-button'), () =>
      post('/api/resync', body),
    );
  });
  document.getElementById('redrive-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const eventId = document.getElementById('redrive-event-id').value.trim();
    void redrive(document.getElementById('redrive-button'), eventId ? { eventId } : {});
  });
  // Dead-lettered records are redriven together: the redrive group's offset remembers them.
  document.getElementById('failed-redrive').addEventListener('click', (event) => {
    void redrive(event.currentTarget, {});
  });
  document.getElementById('dlq-refresh').addEventListener('click', (event) => {
    void runOperation('list DLQ', event.currentTarget, refreshDlq);
  });
}

async function refresh() {
  const paths = ['/api/metrics', '/api/progress', '/api/errors'];
  const [metrics, progress, errors] = await Promise.all(paths.map((path) => getJson(path)));
  updateMetrics(state.config, metrics);
  updateProgress(progress);
  updateErrors(errors);
  document.body.dataset.refreshedAt = String(Date.now());
}

async function main() {
  state.config = await getJson('/api/config');
  renderCounters(state.config);
  for (const panel of state.config.panels)
    makeChart(`panel-${panel.title}`, panel.title, panel.metrics);
  makeChart('lag', 'Consumer lag (merge-consumer group)', ['records behind']);
  makeChart('depth', 'DLQ depth and staged objects', ['analytics_dlq messages', 'staged objects']);
  renderHead('dlq-table', [...parkedColumns, '']); // '': the Redrive buttons
  renderHead('failed-table', failedColumns);
  wireControls();
  const loop = async () => {
    try {
      await refresh();
    } catch (error) {
      console.error('refresh failed', error);
    }
    setTimeout(loop, REFRESH_MS);
  };
  await loop();
}

void main();
