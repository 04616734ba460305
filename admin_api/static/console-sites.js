/* chatflow admin console: sites (站点), over the admin API's /sites (docs/admin-api.md). A table,
 * create and edit dialogs, each site's embed code and chat link (docs/widget.md), and disabling a
 * site, which is for good (seed 000: 站點禁用後，無法解禁). Agent groups are console-groups.js.
 * Every text goes in through textContent or form values. */
(function (root) {
  'use strict';

  const kit = root.ConsoleKit;
  const el = (...args) => kit.el(...args);
  const SITES = 'api/v1/admin/sites';

  kit.strings({
    'zh-CN': {
      sites_nav: '站点',
      sites_new: '新建站点',
      sites_key: '站点标识',
      sites_key_help: '字母、数字、_ 和 -；嵌入代码使用它，创建后不能修改',
      sites_name: '名称',
      sites_unnamed: '此站点没有名称，显示的是它的标识',
      sites_flow: '流程',
      sites_flow_version: '{flow}（第 {version} 版）',
      sites_unpublished: '{flow}（未发布）',
      sites_flow_none: '还没有已发布的流程：请先在流程编辑器中发布一个。',
      sites_groups: '客服分组',
      sites_groups_none: '还没有客服分组：请先在“客服分组”中创建。',
      sites_origins: '允许的来源',
      sites_origins_help: '每行一个：嵌入聊天的网页的协议和域名（不带路径）；留空则不限来源',
      sites_any_origin: '不限',
      sites_status: '状态',
      sites_enabled: '启用',
      sites_disabled: '已禁用',
      sites_disabled_at: '禁用于 {time}',
      sites_actions: '操作',
      sites_edit: '编辑',
      sites_edit_title: '编辑站点 {key}',
      sites_embed: '嵌入代码',
      sites_embed_title: '站点 {key} 的嵌入代码和聊天链接',
      sites_embed_help: '贴到网站每个页面的 </body> 之前，页面角落会出现聊天按钮。',
      sites_link: '聊天链接',
      sites_link_help: '直接打开对话的页面，可用于“联系我们”按钮或发给客户。',
      sites_copy: '复制',
      sites_copied: '已复制',
      sites_copy_failed: '无法复制，请手动选中文本复制',
      sites_disable: '禁用',
      sites_disable_title: '禁用站点 {key}？',
      sites_disable_text:
        '站点禁用后，无法解禁：它不再接受新的会话，也不能再修改。若需解禁，请联系管理员。',
      sites_disable_confirm: '永久禁用',
      sites_disabled_done: '站点 {key} 已禁用',
      sites_created: '站点 {key} 已创建',
      sites_saved: '站点 {key} 已保存',
      sites_empty: '还没有站点。',
      sites_create: '创建',
      sites_save: '保存',
      sites_captcha: '验证码',
      sites_captcha_help: '开启后，访客须先完成滑块拼图才能开始新的会话，防止机器人批量发起会话',
      sites_captcha_on: '验证码',
      sites_captcha_image: '验证码图片',
      sites_captcha_title: '站点 {key} 的验证码图片',
      sites_captcha_rules: '只能上传 JPG/JPEG 图片，尺寸 300 x 150（2:1，更大的 2:1 图片会缩小），最大 1 MB；最多一张。',
      sites_captcha_default: '未上传图片：使用三张默认图片随机更换。',
      sites_captcha_upload: '上传图片',
      sites_captcha_replace: '点击图片可重新上传',
      sites_captcha_delete: '删除图片',
      sites_captcha_uploaded: '验证码图片已更新',
      sites_captcha_deleted: '验证码图片已删除',
      sites_captcha_off_note: '该站点的验证码未开启：图片在开启后才会使用。',
    },
    en: {
      sites_nav: 'Sites',
      sites_new: 'New site',
      sites_key: 'Key',
      sites_key_help: 'Letters, digits, _ and -; the embed code uses it; it cannot change later',
      sites_name: 'Name',
      sites_unnamed: 'This site has no name: its key is shown',
      sites_flow: 'Flow',
      sites_flow_version: '{flow} (version {version})',
      sites_unpublished: '{flow} (not published)',
      sites_flow_none: 'No flow is published yet: publish one in the flow editor first.',
      sites_groups: 'Agent groups',
      sites_groups_none: 'There are no agent groups yet: create one under Agent groups first.',
      sites_origins: 'Allowed origins',
      sites_origins_help:
        'One per line: the scheme and host of the pages that embed the chat, no path; ' +
        'empty allows any origin',
      sites_any_origin: 'Any',
      sites_status: 'Status',
      sites_enabled: 'Enabled',
      sites_disabled: 'Disabled',
      sites_disabled_at: 'disabled {time}',
      sites_actions: 'Actions',
      sites_edit: 'Edit',
      sites_edit_title: 'Edit site {key}',
      sites_embed: 'Embed code',
      sites_embed_title: 'Embed code and chat link of {key}',
      sites_embed_help: 'Paste it before </body> on every page of the site: a chat bubble appears.',
      sites_link: 'Chat link',
      sites_link_help:
        'A page that opens straight into the conversation, for a button or to send a customer.',
      sites_copy: 'Copy',
      sites_copied: 'Copied',
      sites_copy_failed: 'Could not copy; select the text and copy it yourself',
      sites_disable: 'Disable',
      sites_disable_title: 'Disable site {key}?',
      sites_disable_text:
        'A disabled site can never be enabled again: it refuses new conversations and can no ' +
        'longer be changed. Only the administrator can bring it back.',
      sites_disable_confirm: 'Disable for good',
      sites_disabled_done: 'Site {key} is disabled',
      sites_created: 'Site {key} created',
      sites_saved: 'Site {key} saved',
      sites_empty: 'No sites yet.',
      sites_create: 'Create',
      sites_save: 'Save',
      sites_captcha: 'Captcha',
      sites_captcha_help:
        'Visitors solve a slider puzzle before a new conversation, so bots cannot open chats ' +
        'in bulk',
      sites_captcha_on: 'Captcha',
      sites_captcha_image: 'Captcha image',
      sites_captcha_title: 'Captcha image of {key}',
      sites_captcha_rules:
        'JPG/JPEG only, 300 x 150 (2:1; larger 2:1 images are scaled down), at most 1 MB; ' +
        'one image.',
      sites_captcha_default: 'No image uploaded: three default images are used at random.',
      sites_captcha_upload: 'Upload image',
      sites_captcha_replace: 'Click the image to upload another',
      sites_captcha_delete: 'Delete image',
      sites_captcha_uploaded: 'Captcha image updated',
      sites_captcha_deleted: 'Captcha image deleted',
      sites_captcha_off_note: 'The captcha of this site is off: the image is used once it is on.',
    },
  });

  const { show, close: closeDialog } = kit.dialogSlot(); // the dialog this section has open

  const actions = kit.actions;

  /** The clipboard when the page may use it, else the selection and the old copy command. */
  async function copyText(input) {
    input.select();
    try {
      if (navigator.clipboard && root.isSecureContext) {
        await navigator.clipboard.writeText(input.value);
        return true;
      }
      return document.execCommand('copy');
    } catch (_) {
      return false;
    }
  }

  function mount(container, ctx) {
    const { t, api } = ctx;
    const editable = ctx.can('sites', 'edit'); // a view-only account gets no buttons to be refused
    container.appendChild(el('p', 'cs-empty', t('loading')));

    async function reload() {
      const [sites, flows, groups] = await Promise.all([
        api('GET', SITES),
        ctx.can('flows') ? api('GET', 'api/v1/admin/flows') : { ok: false }, // else typed
        api('GET', 'api/v1/agents/groups'), // the names, for any account of the merchant
      ]);
      if (!container.isConnected) return; // the section was left meanwhile
      if (!sites.ok) {
        container.replaceChildren(el('p', 'cs-form-error', ctx.explain(sites)));
        return;
      }
      const refs = { flows: flows.ok ? flows.data : null, groups: groups.ok ? groups.data : [] };
      const create = () => siteForm(null, refs);
      const items = editable ? [['new', 'ui-primary', t('sites_new'), create]] : [];
      container.replaceChildren(kit.titleBar(t('sites_nav'), items), table(sites.data, refs));
    }

    function table(sites, refs) {
      const names = new Map(refs.groups.map((g) => [g.id, g.name || g.id]));
      const groups = (s) => s.groups.map((g) => names.get(g) || g).join(', ');
      const columns = [
        { title: t('sites_key'), cell: (s) => el('code', '', s.key) },
        { title: t('sites_name'), className: 'cs-site-name', cell: siteName },
        { title: t('sites_flow'), cell: (s) => flowLabel(s.flow, s.published_version) },
        { title: t('sites_groups'), cell: groups },
        { title: t('sites_origins'), cell: origins },
        { title: t('sites_status'), cell: status },
        { title: t('sites_actions'), cell: (s) => siteActions(s, refs) },
      ];
      return kit.table(columns, sites, { empty: t('sites_empty') });
    }

    /** A site from chatflow.yaml may have no name: its key stands in, muted. */
    function siteName(site) {
      if (site.name && site.name.trim()) return site.name;
      return Object.assign(el('span', 'cs-help cs-site-unnamed', site.key), {
        title: t('sites_unnamed'),
      });
    }

    function flowLabel(flow, version) {
      return version
        ? t('sites_flow_version', { flow, version })
        : t('sites_unpublished', { flow });
    }

    function origins(site) {
      if (!site.allowed_origins.length) return el('span', 'cs-help', t('sites_any_origin'));
      const list = el('div');
      for (const origin of site.allowed_origins) list.appendChild(el('div', '', origin));
      return list;
    }

    function status(site) {
      const box = el('div');
      const on = site.enabled;
      const label = on ? t('sites_enabled') : t('sites_disabled');
      box.appendChild(el('span', `cs-badge ${on ? 'cs-badge-ok' : 'cs-badge-off'}`, label));
      if (site.captcha) box.appendChild(el('span', 'cs-badge', t('sites_captcha_on')));
      if (!on && site.disabled_at) {
        const time = kit.dateTime(site.disabled_at, ctx.lang);
        box.appendChild(el('div', 'cs-help', t('sites_disabled_at', { time })));
      }
      return box;
    }

    /** A disabled site can never change again: it has no actions. */
    function siteActions(site, refs) {
      if (!site.enabled) return '';
      const embedCode = ['embed', '', t('sites_embed'), () => embed(site)];
      const image = ['captcha', '', t('sites_captcha_image'), () => captchaImage(site)];
      if (!editable) return actions([embedCode, image], 'cs-row-actions');
      return actions(
        [
          ['edit', '', t('sites_edit'), () => siteForm(site, refs)],
          embedCode,
          image,
          ['disable', 'ui-danger', t('sites_disable'), () => disable(site)],
        ],
        'cs-row-actions',
      );
    }

    /** The merchant's published flows (and a site's current one, published or not). */
    function flowField(site, refs) {
      const field = { name: 'flow', label: t('sites_flow'), required: true, maxLength: 64 };
      if (!refs.flows) return field; // the account may not list flows: it types the id
      const options = refs.flows
        .filter((f) => f.published_version)
        .map((f) => ({ value: f.flow_id, label: flowLabel(f.flow_id, f.published_version) }));
      if (site && !options.some((o) => o.value === site.flow)) {
        options.unshift({ value: site.flow, label: flowLabel(site.flow, site.published_version) });
      }
      const help = options.length ? '' : t('sites_flow_none');
      return { ...field, type: 'select', options, help };
    }

    function siteForm(site, refs) {
      const groups = refs.groups.map((g) => ({
        value: g.id,
        label: g.name && g.name !== g.id ? `${g.name} (${g.id})` : g.id,
      }));
      const fields = [
        { name: 'name', label: t('sites_name'), required: true, maxLength: 100 },
        flowField(site, refs),
        {
          name: 'groups',
          label: t('sites_groups'),
          type: 'checks',
          options: groups,
          help: groups.length ? '' : t('sites_groups_none'),
        },
        {
          name: 'allowed_origins',
          label: t('sites_origins'),
          type: 'lines',
          help: t('sites_origins_help'),
        },
        {
          name: 'captcha',
          label: t('sites_captcha'),
          type: 'checkbox',
          help: t('sites_captcha_help'),
        },
      ];
      if (!site) {
        const help = t('sites_key_help');
        fields.unshift({ name: 'key', label: t('sites_key'), required: true, maxLength: 64, help });
      }
      const submit = async (values) => {
        const body = {
          name: values.name, // blank: the API's "required" under the field
          groups: values.groups,
          allowed_origins: values.allowed_origins,
          captcha: values.captcha,
        };
        // An edit sends the flow only when it changed: an unpublished current flow stays.
        if (!site || values.flow !== site.flow) body.flow = values.flow;
        if (!site) body.key = values.key;
        const result = site
          ? await api('PATCH', `${SITES}/${encodeURIComponent(site.key)}`, body)
          : await api('POST', SITES, body);
        if (!result.ok) return kit.refusal(result, ctx.explain, site ? null : 'key');
        closeDialog();
        const key = result.data.key;
        ctx.toast(site ? t('sites_saved', { key }) : t('sites_created', { key }));
        reload();
        return null;
      };
      const title = site ? t('sites_edit_title', { key: site.key }) : t('sites_new');
      // a site without a name (one from chatflow.yaml) is offered its key: a name is required
      const values = site ? { ...site, name: site.name || site.key } : {};
      const node = kit.form(fields, values, site ? t('sites_save') : t('sites_create'), submit);
      show(kit.dialog(title, node));
    }

    /** The embed code and the chat link: at the deployment's public address when the API
     * gives one (server.public_url), else where this console is served from (prefix kept). */
    function embed(site) {
      const base = location.origin + ctx.basePath;
      const src = site.widget_src || `${base}static/widget.js`;
      const link = site.chat_url || `${base}chat/${site.key}`;
      const code = `<script src="${src}" data-site="${site.key}" async></script>`;
      const body = el('div', 'cs-form');
      body.append(
        copyField('embed', t('sites_embed'), code, t('sites_embed_help')),
        copyField('link', t('sites_link'), link, t('sites_link_help')),
      );
      show(kit.dialog(t('sites_embed_title', { key: site.key }), body));
    }

    function copyField(name, label, value, help) {
      const input = el('input', 'cs-input');
      input.readOnly = true;
      input.value = value;
      input.dataset.name = name;
      const said = el('span', 'cs-help');
      said.setAttribute('role', 'status');
      const line = actions([
        [
          'copy',
          '',
          t('sites_copy'),
          async () => {
            said.textContent = (await copyText(input)) ? t('sites_copied') : t('sites_copy_failed');
          },
        ],
      ]);
      line.classList.add('cs-copy');
      line.prepend(input);
      const row = el('div', 'cs-field');
      row.append(el('span', 'cs-field-label', label), line, el('span', 'cs-help', help), said);
      return row;
    }

    /** The site's captcha background (seed 000: shown; click it to upload another; delete
     * it to go back to the three default ones). Drawn on a canvas from the fetched bytes, so
     * the console's Content-Security-Policy needs no data: or blob: images. */
    function captchaImage(site) {
      const url = `${SITES}/${encodeURIComponent(site.key)}/captcha-image`;
      const body = el('div', 'cs-form cs-captcha');
      const canvas = el('canvas', 'cs-captcha-image');
      canvas.width = 300;
      canvas.height = 150;
      canvas.setAttribute('role', 'img');
      canvas.setAttribute('aria-label', t('sites_captcha_image'));
      const note = el('p', 'cs-help');
      const said = el('p', 'cs-form-error');
      said.setAttribute('role', 'status');
      const file = el('input');
      file.type = 'file';
      file.hidden = true;
      file.accept = 'image/jpeg,.jpg,.jpeg';
      file.dataset.name = 'captcha-file';
      const frame = el('div', 'cs-captcha-frame');
      frame.appendChild(canvas);
      body.append(el('p', 'cs-help', t('sites_captcha_rules')));
      if (!site.captcha) body.appendChild(el('p', 'cs-help', t('sites_captcha_off_note')));
      body.append(frame, note, said);
      const items = [];
      if (editable) {
        items.push(['upload', 'ui-primary', t('sites_captcha_upload'), () => file.click()]);
        items.push(['delete', 'ui-danger', t('sites_captcha_delete'), remove]);
        body.append(file, actions(items));
      }
      const deleteButton = body.querySelector('[data-action="delete"]');

      async function draw() {
        const result = await api('GET', url);
        const has = result.ok;
        frame.classList.toggle('has-image', has);
        canvas.hidden = !has;
        if (deleteButton) deleteButton.hidden = !has;
        const hint = editable ? t('sites_captcha_replace') : '';
        note.textContent = has ? hint : t('sites_captcha_default');
        if (!has) return;
        const bitmap = await createImageBitmap(await result.response.blob());
        canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      }

      async function upload() {
        const chosen = file.files && file.files[0];
        file.value = '';
        if (!chosen) return;
        const result = await api('PUT', url, chosen);
        said.textContent = result.ok ? '' : ctx.explain(result);
        if (!result.ok) return;
        ctx.toast(t('sites_captcha_uploaded'));
        draw();
        reload();
      }

      async function remove() {
        const result = await api('DELETE', url);
        said.textContent = result.ok ? '' : ctx.explain(result);
        if (!result.ok) return;
        ctx.toast(t('sites_captcha_deleted'));
        draw();
        reload();
      }

      if (editable) {
        canvas.tabIndex = 0;
        canvas.title = t('sites_captcha_replace');
        canvas.addEventListener('click', () => file.click());
        canvas.addEventListener('keydown', (event) => {
          if (event.key === 'Enter' || event.key === ' ') file.click();
        });
        file.addEventListener('change', upload);
      }
      show(kit.dialog(t('sites_captcha_title', { key: site.key }), body));
      draw();
    }

    function disable(site) {
      const title = t('sites_disable_title', { key: site.key });
      const text = t('sites_disable_text');
      const box = kit.confirm(title, text, t('sites_disable_confirm'), async () => {
        const result = await api('POST', `${SITES}/${encodeURIComponent(site.key)}/disable`);
        if (!result.ok) return ctx.explain(result);
        ctx.toast(t('sites_disabled_done', { key: site.key }));
        reload();
        return null;
      });
      show(box);
    }

    reload();
  }

  kit.register({
    id: 'sites',
    title: 'sites_nav',
    order: 30,
    probe: SITES,
    mount,
    unmount: closeDialog,
  });
})(typeof self !== 'undefined' ? self : this);
