/* chatflow workbench: desktop notifications (seed 001 桌面通知). While the workbench is in a
 * background tab or window, a ringing visitor, a visitor's new line, an invitation and a
 * supervisor alert pop up as the system's notifications; a click brings the workbench back on
 * that conversation. The agent turns them on once (the browser asks for permission) and off
 * again with the header's button; the choice is kept in this browser. No DOM of its own and
 * every browser object passed in, so node tests drive it. Exposed as window.WorkbenchNotify. */
(function (root, factory) {
  'use strict';
  const api = factory();
  if (typeof module === 'object' && module.exports) module.exports = api;
  else root.WorkbenchNotify = api;
})(typeof self !== 'undefined' ? self : this, function () {
  'use strict';

  const PREFERENCE_KEY = 'chatflow.workbench.notifications';
  const BODY_LIMIT = 120;

  /** A notification's body: one line of at most BODY_LIMIT characters. */
  function bodyText(text) {
    const line = String(text || '')
      .replace(/\s+/gu, ' ')
      .trim();
    const chars = Array.from(line);
    return chars.length > BODY_LIMIT ? `${chars.slice(0, BODY_LIMIT - 1).join('')}…` : line;
  }

  /**
   * env: {Notification (the constructor, or undefined where the browser has none), document,
   * storage (localStorage), focus()}. `state()` is what the header button says: `unsupported`,
   * `denied` (the browser blocks this site), `ask` (never asked), `on` or `off`.
   */
  function create(env) {
    const Notice = env.Notification;

    function permission() {
      return Notice ? Notice.permission : 'unsupported';
    }

    function wanted() {
      try {
        return env.storage.getItem(PREFERENCE_KEY) !== 'off';
      } catch (_) {
        return true;
      }
    }

    function remember(on) {
      try {
        env.storage.setItem(PREFERENCE_KEY, on ? 'on' : 'off');
      } catch (_) {
        // a private window without storage: the choice lasts for the page
      }
    }

    function state() {
      const granted = permission();
      if (granted === 'unsupported' || granted === 'denied') return granted;
      if (granted !== 'granted') return 'ask';
      return wanted() ? 'on' : 'off';
    }

    /** The header button: asks the browser the first time, then turns them on and off. */
    async function toggle() {
      const now = state();
      if (now === 'ask') {
        const answer = await Notice.requestPermission();
        if (answer === 'granted') remember(true);
      } else if (now === 'on' || now === 'off') {
        remember(now === 'off');
      }
      return state();
    }

    /** Whether the agent is looking at the workbench now (then the page itself tells). */
    function looking() {
      const doc = env.document;
      return !doc.hidden && (typeof doc.hasFocus !== 'function' || doc.hasFocus());
    }

    /**
     * Pops up `title` / `body` unless notifications are off or the agent is looking. `tag`
     * (the session id) makes a newer notification replace an older one of the same
     * conversation. Answers the notification, or null.
     */
    function show(title, body, tag, onClick) {
      if (state() !== 'on' || looking()) return null;
      let notice;
      try {
        notice = new Notice(String(title), { body: bodyText(body), tag: tag || undefined });
      } catch (_) {
        return null; // Chrome on Android allows them only from a service worker
      }
      notice.onclick = () => {
        env.focus();
        notice.close();
        if (onClick) onClick();
      };
      return notice;
    }

    return { state, toggle, show };
  }

  return { PREFERENCE_KEY, BODY_LIMIT, bodyText, create };
});
