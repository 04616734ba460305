/* chatflow admin console: logs in, reads the account's rights, asks the probe of each
 * registered section those rights allow whether this account may use it, lists those in the side
 * bar and mounts the one the address's #hash names (#records, #records/<session id>, ...). The
 * sections are console-*.js; what they share is console-kit.js. User guide: docs/console.md. */
(function () {
  'use strict';

  const admin = window.ChatflowAdmin;
  const kit = window.ConsoleKit;

  kit.strings({
    'zh-CN': {
      title: '管理后台',
      loginTitle: '登录管理后台',
      offline: '无法连接服务器，请稍后再试',
      failed: '操作失败：{message}',
      forbidden: '此账号没有权限',
      nothingAllowed: '此账号没有可用的管理功能。',
      sections: '功能',
      toWorkbench: '客服工作台',
      toEditor: '流程编辑器',
      loading: '正在加载…',
    },
    en: {
      title: 'Admin console',
      loginTitle: 'Sign in to the admin console',
      offline: 'The server cannot be reached; try again shortly',
      failed: 'That did not work: {message}',
      forbidden: 'This account may not do that',
      nothingAllowed: 'This account has no admin features.',
      sections: 'Sections',
      toWorkbench: 'Workbench',
      toEditor: 'Flow editor',
      loading: 'Loading…',
    },
  });

  const page = admin.page({
    path: 'console',
    prefix: 'cs',
    messages: kit.messages,
    offline: 'offline',
    onExpired: () => expire(),
  });
  const { lang, t, basePath, client, showLogin } = page;
  kit.useTranslator(t);
  const api = client.api;
  const $ = (id) => document.getElementById(id);
  const els = {
    app: $('cs-app'),
    me: $('cs-me'),
    logout: $('cs-logout'),
    nav: $('cs-nav'),
    main: $('cs-main'),
    toasts: $('cs-toasts'),
  };

  let me = null;
  let allowed = [];
  const probes = new Map(); // section id -> the answer to its probe, handed to its mount
  let mounted = null;

  function toast(text, kind) {
    admin.toast(els.toasts, text, kind);
  }

  function explain(result) {
    if (result.status === 403) return t('forbidden');
    if (result.status === 0) return t('offline');
    return t('failed', { message: result.message || result.status });
  }

  function expire() {
    leave();
    client.setToken(null);
    showLogin(t('loginExpired'));
  }

  async function logout() {
    await api('POST', 'api/v1/auth/logout');
    leave();
    client.setToken(null);
    showLogin('');
  }

  function leave() {
    if (mounted && mounted.unmount) mounted.unmount();
    mounted = null;
    me = null;
    kit.useRights(null);
    els.main.replaceChildren();
  }

  async function start() {
    me = await page.signedIn();
    if (!me) return;
    els.me.textContent = me.nickname || me.account;
    page.showApp();
    // the rights first: a section they do not allow is not even asked for (no refusals at
    // log-in); when they cannot be read, every section is asked and the API's answer decides
    const mine = await api('GET', 'api/v1/agents/me/rights');
    if (!me) return; // logged out meanwhile
    kit.useRights(mine.ok ? mine.data : null);
    const asked = kit.sections.filter((s) => kit.mayUse(s));
    const answers = await Promise.all(asked.map((s) => api('GET', s.probe)));
    if (!me) return;
    probes.clear();
    asked.forEach((s, i) => probes.set(s.id, answers[i]));
    allowed = asked.filter((s) => probes.get(s.id).ok);
    showLinks();
    renderNav();
    route();
  }

  /** What the API would allow (console-kit.js `can`, on the rights read at log-in). */
  const can = (feature, level) => kit.can(feature, level);

  /** The header's flow editor link only for an account that may read flows. */
  function showLinks() {
    const editor = document.querySelector('.cs-links a[data-i18n="toEditor"]');
    if (editor) editor.hidden = !can('flows');
  }

  function renderNav() {
    els.nav.replaceChildren(
      ...allowed.map((section) => {
        const link = admin.el('a', 'cs-nav-item', t(section.title));
        link.href = `#${section.id}`;
        link.dataset.section = section.id;
        return link;
      }),
    );
  }

  /** Mounts the section named by the #hash (the first allowed one when none). */
  function route() {
    if (!me) return;
    if (!allowed.length) {
      els.main.replaceChildren(admin.el('p', 'cs-empty', t('nothingAllowed')));
      return;
    }
    const parts = location.hash.replace(/^#/, '').split('/').map(decodeURIComponent);
    const section = allowed.find((s) => s.id === parts[0]) || allowed[0];
    for (const link of els.nav.children) {
      link.classList.toggle('is-current', link.dataset.section === section.id);
      if (link.dataset.section === section.id) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    const route = section.id === parts[0] ? parts.slice(1) : [];
    // the address names the section shown (none, or one the account may not use, named the
    // first): its link then leads where the page already is, not to a second mount of it
    if (section.id !== parts[0]) history.replaceState(null, '', `#${section.id}`);
    if (mounted && mounted.unmount) mounted.unmount();
    mounted = section;
    const container = admin.el('section', `cs-section cs-section-${section.id}`);
    els.main.replaceChildren(container);
    section.mount(container, {
      api,
      t,
      lang,
      basePath,
      toast,
      explain,
      kit,
      me,
      probe: probes.get(section.id),
      can,
      route,
      navigate: (hash) => {
        location.hash = hash;
      },
    });
  }

  /** The header's links to the workbench and the editor keep a language chosen by `?lang=`. */
  function keepLanguage() {
    const chosen = page.params.get('lang');
    if (!chosen) return;
    for (const link of document.querySelectorAll('.cs-links a')) {
      link.search = new URLSearchParams({ lang: chosen }).toString();
    }
  }

  function wire() {
    keepLanguage();
    page.wireLogin(explain, start);
    els.logout.addEventListener('click', logout);
    window.addEventListener('hashchange', route);
    if (client.token()) start();
    else showLogin('');
  }

  wire();
})();
