/* chatflow admin console: the quick replies' bulk import (seed 004 批量导入), the dialog of
 * console-replies.js. The chosen CSV or XLSX file goes as the request body of
 * POST api/v1/quick-replies/import (not a form); the answer is shown row by row: what was
 * imported, updated, left unchanged and refused, and why (a refused row's column named by the
 * file's own heading). API: docs/content.md, "Bulk import". */
(function (root) {
  'use strict';

  const kit = root.ConsoleKit;
  const el = (...args) => kit.el(...args);
  const REPLIES = 'api/v1/quick-replies';
  const MAX_BYTES = 2 * 1024 * 1024; // the API's limit: refused here before sending

  // One row per string: [key, zh-CN, English].
  const STRINGS = [
    ['replies_file', '文件', 'File'],
    [
      'replies_fileHelp',
      'CSV 或 XLSX，最大 2 MB；第一行为表头：组名、标题、内容（见模板）。分组和标题相同的回复会被更新。',
      'CSV or XLSX, at most 2 MB; the first row names the columns: category, title, content ' +
        '(see the template). A reply with the same category and title is updated.',
    ],
    ['replies_importTitle', '批量导入快捷回复', 'Import quick replies'],
    ['replies_importRun', '导入', 'Import'],
    ['replies_chooseFile', '请选择文件', 'Choose a file'],
    ['replies_tooLarge', '文件超过 2 MB', 'The file is larger than 2 MB'],
    [
      'replies_report',
      '{type} 文件：新增 {imported} 条，更新 {updated} 条，未变 {unchanged} 条，{failed} 行有错误。',
      '{type} file: {imported} imported, {updated} updated, {unchanged} unchanged, ' +
        '{failed} rows refused.',
    ],
    ['replies_row', '行', 'Row'],
    ['replies_column', '列', 'Column'],
    ['replies_problem', '问题', 'Problem'],
  ];
  kit.strings(STRINGS);

  /**
   * The import dialog's content: `options` = {editTeam (the team scope is offered), scopes (their
   * labels), template() (downloads the template), imported() (the list reloads)}.
   */
  function form(ctx, options) {
    const { t, api } = ctx;
    const { editTeam, scopes } = options;
    const body = el('div', 'cs-form cs-replies-import');
    const team = editTeam ? [['team', scopes.team]] : [];
    const kind = kit.select([...team, ['personal', scopes.personal]]); // the first is chosen
    kind.dataset.name = 'scope';
    const file = Object.assign(el('input', 'cs-input'), { type: 'file' });
    file.accept = '.csv,.xlsx,text/csv';
    file.dataset.name = 'file';
    const field = (label, control, help) => {
      const row = el('label', 'cs-field');
      row.append(el('span', 'cs-field-label', label), control);
      if (help) row.appendChild(el('span', 'cs-help', help));
      return row;
    };
    const said = el('p', 'cs-form-error');
    said.setAttribute('role', 'alert');
    const report = el('div', 'cs-section cs-replies-report');
    report.setAttribute('role', 'status');
    const run = async () => {
      said.textContent = '';
      report.replaceChildren();
      const chosen = file.files[0];
      if (!chosen) said.textContent = t('replies_chooseFile');
      else if (chosen.size > MAX_BYTES) said.textContent = t('replies_tooLarge');
      if (!chosen || chosen.size > MAX_BYTES) return;
      const params = new URLSearchParams({ scope: kind.value, filename: chosen.name });
      start.disabled = true;
      const result = await api('POST', `${REPLIES}/import?${params}`, chosen);
      start.disabled = false;
      if (!result.ok) {
        said.textContent = result.status === 403 ? ctx.explain(result) : result.message;
        return;
      }
      showReport(t, report, result.data);
      options.imported();
    };
    const start = kit.button('ui-primary', t('replies_importRun'), run);
    start.dataset.action = 'run-import';
    const sample = kit.button('', t('replies_template'), options.template);
    sample.dataset.action = 'template';
    const row = el('div', 'cs-actions');
    row.append(start, sample);
    body.append(
      field(t('replies_scope'), kind, editTeam ? t('replies_scopeHelp') : ''),
      field(t('replies_file'), file, t('replies_fileHelp')),
      said,
      row,
      report,
    );
    return { title: t('replies_importTitle'), body };
  }

  /** A refused row's column as the file heads it (组名), else as the console names it. */
  function columnName(t, error) {
    if (error.heading) return error.heading;
    const names = {
      category: t('replies_category'),
      title: t('replies_title'),
      content: t('replies_content'),
    };
    return names[error.column] || '';
  }

  function showReport(t, report, data) {
    const vars = {
      type: String(data.file_type).toUpperCase(),
      imported: data.imported,
      updated: data.updated,
      unchanged: data.unchanged,
      failed: new Set(data.errors.map((e) => e.row)).size, // a row may have several errors
    };
    report.appendChild(el('p', 'cs-replies-summary', t('replies_report', vars)));
    if (!data.errors.length) return;
    const columns = [
      { title: t('replies_row'), cell: (e) => e.row, className: 'cs-num' },
      { title: t('replies_column'), cell: (e) => columnName(t, e) },
      { title: t('replies_problem'), cell: (e) => e.message },
    ];
    report.appendChild(kit.table(columns, data.errors));
  }

  root.ConsoleRepliesImport = { form };
})(typeof self !== 'undefined' ? self : this);
