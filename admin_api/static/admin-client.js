/* chatflow staff pages (the workbench, the flow editor, the console): what they share. A REST
 * client that carries the account's bearer token, the login form, and the few DOM helpers
 * every page uses (elements, buttons, toasts, a file download).
 * Text always reaches the page through textContent, never as markup. Exposed as
 * window.ChatflowAdmin. */
(function (root) {
  'use strict';

  const TOAST_MS = 6000;

  /** The login form's words, the same on every staff page (a page's own table may override). */
  const LOGIN_MESSAGES = {
    'zh-CN': {
      account: '账号',
      password: '密码',
      login: '登录',
      loggingIn: '正在登录…',
      loginFailed: '账号或密码错误',
      loginLocked: '尝试次数过多，请 {seconds} 秒后再试',
      loginExpired: '登录已失效，请重新登录',
      logout: '退出登录',
    },
    en: {
      account: 'Account',
      password: 'Password',
      login: 'Log in',
      loggingIn: 'Logging in…',
      loginFailed: 'Wrong account or password',
      loginLocked: 'Too many tries. Try again in {seconds} seconds',
      loginExpired: 'Your login has expired. Please log in again',
      logout: 'Log out',
    },
  };

  /** The words of a conversation's visit (visitFacts), on the workbench and the console. */
  const VISIT_MESSAGES = {
    'zh-CN': {
      visit_channel: '渠道',
      visit_site: '来源站点',
      visit_device: '终端',
      visit_ip: 'IP',
      visit_page: '来源页面',
      visit_referrer: '来路',
      visit_desktop: '电脑',
      visit_mobile: '手机',
      visit_tablet: '平板',
      visit_bot: '机器人',
    },
    en: {
      visit_channel: 'Channel',
      visit_site: 'Site',
      visit_device: 'Device',
      visit_ip: 'IP',
      visit_page: 'Page',
      visit_referrer: 'Came from',
      visit_desktop: 'computer',
      visit_mobile: 'phone',
      visit_tablet: 'tablet',
      visit_bot: 'bot',
    },
  };

  /**
   * Where a conversation's visitor was (the API's `visit`, docs/agent-api.md) as a <dl>: the
   * webhook channel it came through (渠道), else the web channel's site (来源站点), device
   * (browser · OS · kind, the raw User-Agent on hover), IP, page and where the visitor came
   * from, each only when known. An address is a link only when it is http(s);
   * every text goes in as text.
   */
  function visitFacts(visit, t) {
    const list = el('dl', 'ui-facts');
    if (!visit) return list;
    const kinds = {
      desktop: t('visit_desktop'),
      mobile: t('visit_mobile'),
      tablet: t('visit_tablet'),
      bot: t('visit_bot'),
    };
    const device = [visit.browser, visit.os, kinds[visit.device]].filter(Boolean).join(' · ');
    const rows = [
      ['channel', visit.channel],
      ['device', device, visit.user_agent],
      ['ip', visit.ip],
      ['page', visit.page_url, visit.page_title],
      ['referrer', visit.referrer],
    ];
    const labels = {
      channel: t(visit.channel_type === 'webhook' ? 'visit_channel' : 'visit_site'),
      device: t('visit_device'),
      ip: t('visit_ip'),
      page: t('visit_page'),
      referrer: t('visit_referrer'),
    };
    for (const [name, value, extra] of rows) {
      if (!value) continue;
      const dd = el('dd', `ui-fact-${name}`);
      if ((name === 'page' || name === 'referrer') && /^https?:\/\//i.test(value)) {
        const link = el('a', 'ui-link', extra || value);
        link.href = value;
        link.title = value;
        link.target = '_blank';
        link.rel = 'noopener noreferrer';
        dd.appendChild(link);
      } else {
        dd.textContent = value;
        if (extra) dd.title = extra;
      }
      list.append(el('dt', null, labels[name]), dd);
    }
    return list;
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function button(className, text, onClick) {
    const node = el('button', `ui-button ${className || ''}`.trim(), text);
    node.type = 'button';
    node.addEventListener('click', onClick);
    return node;
  }

  /** A notice in `container` that goes away by itself. */
  function toast(container, text, kind) {
    const node = el('div', `ui-toast ui-toast-${kind || 'info'}`, text);
    node.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    container.appendChild(node);
    setTimeout(() => node.remove(), TOAST_MS);
  }

  /** Hands `blob` to the browser as a download named `name`. */
  function saveFile(blob, name) {
    const link = el('a');
    link.href = URL.createObjectURL(blob);
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  }

  /** Fills every `data-i18n`, `data-i18n-placeholder` and `data-i18n-label` of the page. */
  function translatePage(t, lang) {
    document.documentElement.lang = lang;
    document.title = t('title');
    for (const node of document.querySelectorAll('[data-i18n]')) {
      node.textContent = t(node.dataset.i18n);
    }
    for (const node of document.querySelectorAll('[data-i18n-placeholder]')) {
      node.placeholder = t(node.dataset.i18nPlaceholder);
    }
    for (const node of document.querySelectorAll('[data-i18n-label]')) {
      node.setAttribute('aria-label', t(node.dataset.i18nLabel));
    }
  }

  /** Where the staff pages keep their login: one key for the console, the workbench and the
   * editor, so a login holds across them in one tab (a reload keeps it, a new tab does not),
   * and logging out of one logs that tab out of all three. */
  const TOKEN_KEY = 'chatflow.staff.token';

  /**
   * The REST client of one page. `basePath` is the deployment's prefix ending in '/';
   * `onExpired()` runs when the server answers 401 to a logged-in call; `offline` is the
   * message of a request that never reached the server; `language` (the page's) goes as
   * Accept-Language, so the API words its errors (`detail`) like the page.
   */
  function createClient(options) {
    let token = null;
    try {
      token = sessionStorage.getItem(TOKEN_KEY);
    } catch (_) {
      token = null;
    }

    function setToken(value) {
      token = value;
      try {
        if (value) sessionStorage.setItem(TOKEN_KEY, value);
        else sessionStorage.removeItem(TOKEN_KEY);
      } catch (_) {
        /* the token lives for this page only */
      }
    }

    /**
     * A REST call with the token: `{ok, status, data, code, message, response}`. `body` goes
     * as JSON, but a FormData or a Blob (a File: an upload) as it is.
     */
    async function api(method, path, body, callOptions) {
      const headers = {};
      if (token) headers.Authorization = `Bearer ${token}`;
      if (options.language) headers['Accept-Language'] = options.language;
      let payload;
      if (body instanceof FormData || body instanceof Blob) payload = body;
      else if (body !== undefined) {
        headers['Content-Type'] = 'application/json';
        payload = JSON.stringify(body);
      }
      let response;
      try {
        response = await fetch(options.basePath + path, { method, headers, body: payload });
      } catch (_) {
        return { ok: false, status: 0, data: null, code: 'network', message: options.offline() };
      }
      let data = null;
      const type = response.headers.get('Content-Type') || '';
      if (response.status !== 204 && type.includes('json')) {
        try {
          data = await response.json();
        } catch (_) {
          data = null;
        }
      }
      const problem = data && typeof data.type === 'string' ? data : {};
      const code = String(problem.type || '').replace('urn:chatflow:', '');
      const message = String(problem.detail || problem.title || response.statusText || '');
      if (response.status === 401 && token && !(callOptions && callOptions.login)) {
        options.onExpired();
      }
      return { ok: response.ok, status: response.status, data, code, message, response };
    }

    return { api, setToken, token: () => token };
  }

  /**
   * Wires a login form: `els` = {login, form, account, password, error, button}; `t` translates
   * (keys login, loggingIn, loginFailed, loginLocked); `explain(result)` words other refusals;
   * `onLoggedIn()` runs once the token is kept. Returns `show(message)`, which shows the form.
   */
  function bindLogin(els, client, t, explain, onLoggedIn) {
    function show(message) {
      els.login.hidden = false;
      els.error.hidden = !message;
      els.error.textContent = message || '';
      els.button.disabled = false;
      els.button.textContent = t('login');
      els.account.focus();
    }

    els.form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const account = els.account.value.trim();
      const password = els.password.value;
      if (!account || !password) return;
      els.button.disabled = true;
      els.button.textContent = t('loggingIn');
      const body = { account, password };
      const result = await client.api('POST', 'api/v1/auth/login', body, { login: true });
      if (!result.ok) {
        const wait = result.response && result.response.headers.get('Retry-After');
        if (result.status === 429) show(t('loginLocked', { seconds: wait || 60 }));
        else if (result.status === 401) show(t('loginFailed'));
        else show(explain(result));
        return;
      }
      client.setToken(result.data.token);
      els.password.value = '';
      await onLoggedIn();
    });

    return show;
  }

  /**
   * The login form every staff page shows, in its (empty) `<prefix>-login` section: the
   * page's `loginTitle`, account, password, an error line and the button, with the ids
   * `<prefix>-login-form`, `-account`, `-password`, `-login-error`, `-login-button`.
   */
  function loginForm(section, prefix, t) {
    const form = el('form', 'ui-login-form');
    form.id = `${prefix}-login-form`;
    form.noValidate = true;
    form.appendChild(el('h1', null, t('loginTitle')));
    const fields = [
      ['account', 'text', 'username', 64],
      ['password', 'password', 'current-password', 128],
    ];
    for (const [name, type, autocomplete, max] of fields) {
      const label = el('label');
      label.appendChild(el('span', null, t(name)));
      const input = el('input');
      Object.assign(input, { id: `${prefix}-${name}`, name, type, autocomplete, required: true });
      input.maxLength = max;
      label.appendChild(input);
      form.appendChild(label);
    }
    const error = el('p', 'ui-login-error');
    Object.assign(error, { id: `${prefix}-login-error`, hidden: true });
    error.setAttribute('role', 'alert');
    const submit = el('button', 'ui-button ui-primary', t('login'));
    Object.assign(submit, { id: `${prefix}-login-button`, type: 'submit' });
    form.append(error, submit);
    section.replaceChildren(form);
  }

  /**
   * What every staff page starts with. `options`: `path` (the page's last path segment:
   * 'editor'), `prefix` of its element ids ('ed': ed-app, and ed-login, the section the login
   * form is drawn in), `messages` (its string tables), `offline` (the key of the
   * "server unreachable" message) and `onExpired()`.
   * Returns {params, lang, t, basePath, client, showLogin(message), wireLogin(explain,
   * onLoggedIn), signedIn(), showApp()}; wireLogin also draws the login form and translates
   * the page.
   */
  function page(options) {
    const i18n = root.ChatflowI18n;
    const params = new URLSearchParams(location.search);
    const wanted = [params.get('lang'), ...(navigator.languages || [navigator.language])];
    const lang = i18n.pick(wanted);
    const messages = {};
    for (const code of Object.keys(LOGIN_MESSAGES)) {
      const own = options.messages[code] || {};
      messages[code] = { ...LOGIN_MESSAGES[code], ...VISIT_MESSAGES[code], ...own };
    }
    const t = (key, vars) => i18n.translateWith(messages, lang, key, vars);
    // The page is /<prefix>/<path>: API paths and images are relative to <prefix>/.
    const basePath = location.pathname.replace(new RegExp(`${options.path}/?$`), '');
    const client = createClient({
      basePath,
      language: lang,
      offline: () => t(options.offline),
      onExpired: options.onExpired,
    });
    const byId = (name) => document.getElementById(`${options.prefix}-${name}`);
    let showForm = null;

    function wireLogin(explain, onLoggedIn) {
      translatePage(t, lang);
      loginForm(byId('login'), options.prefix, t);
      const els = {
        login: byId('login'),
        form: byId('login-form'),
        account: byId('account'),
        password: byId('password'),
        error: byId('login-error'),
        button: byId('login-button'),
      };
      showForm = bindLogin(els, client, t, explain, onLoggedIn);
    }

    function showLogin(message) {
      byId('app').hidden = true;
      showForm(message);
    }

    /** Who the kept token belongs to; null (and `onExpired()` when there was a token) when
     * nobody is signed in. */
    async function signedIn() {
      const who = await client.api('GET', 'api/v1/agents/me');
      if (who.ok) return who.data;
      if (client.token()) options.onExpired();
      return null;
    }

    /** The page instead of the login form. */
    function showApp() {
      byId('login').hidden = true;
      byId('app').hidden = false;
    }

    return { params, lang, t, basePath, client, showLogin, wireLogin, signedIn, showApp };
  }

  root.ChatflowAdmin = {
    LOGIN_MESSAGES,
    VISIT_MESSAGES,
    visitFacts,
    el,
    button,
    toast,
    saveFile,
    translatePage,
    createClient,
    bindLogin,
    page,
  };
})(typeof self !== 'undefined' ? self : this);
