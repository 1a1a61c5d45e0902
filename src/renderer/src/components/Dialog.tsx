import { useId, useLayoutEffect, useRef, type KeyboardEvent, type ReactNode } from 'react';

const TABBABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';

/**
 * Tab from the last control goes to the first, Shift+Tab from the first to the last. The page behind is
 * inert (showModal), but without this Tab would leave for the browser's own toolbar.
 */
function wrapTab(e: KeyboardEvent<HTMLDialogElement>): void {
  if (e.key !== 'Tab') return;
  const tabbable = [...e.currentTarget.querySelectorAll<HTMLElement>(TABBABLE)].filter((el) => el.getClientRects().length > 0);
  const first = tabbable[0];
  const last = tabbable[tabbable.length - 1];
  if (!first || !last) return;
  if (e.shiftKey && (document.activeElement === first || document.activeElement === e.currentTarget)) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && document.activeElement === last) {
    e.preventDefault();
    first.focus();
  }
}

export interface DialogProps {
  title: ReactNode;
  /** asked to close: Escape, the Close button; the owner unmounts the dialog (or ignores it while busy) */
  onClose(): void;
  children: ReactNode;
  /** beside the title (a badge) */
  aside?: ReactNode;
  testId?: string;
  closeLabel?: string;
}

/**
 * A modal dialog on the browser's own `<dialog>` (showModal): the page behind is inert, so focus and
 * Tab stay inside; labelled by its title; Escape asks the owner to close; focus goes back to the element
 * that opened it. A click on the backdrop does nothing, so what was typed is never thrown away by a stray
 * click. Tab wraps around inside (wrapTab). The title row, with Close, stays in view while the body scrolls.
 */
export function Dialog({ title, onClose, children, aside, testId, closeLabel = 'Close' }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const close = useRef(onClose);
  close.current = onClose;

  useLayoutEffect(() => {
    const dialog = ref.current!;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!dialog.open) dialog.showModal();
    return () => {
      if (dialog.open) dialog.close();
      // the opener may be gone (an Install button replaced by "Installed"): then the screen gets focus
      if (opener?.isConnected) opener.focus();
      else document.getElementById('main')?.focus();
    };
  }, []);

  return (
    <dialog
      ref={ref}
      className="modal card"
      aria-modal="true"
      aria-labelledby={titleId}
      data-testid={testId}
      onKeyDown={wrapTab}
      onCancel={(e) => {
        // Escape: the owner decides (React state holds whether the dialog is shown)
        e.preventDefault();
        close.current();
      }}
    >
      <header className="modal-head row">
        <h2 id={titleId}>{title}</h2>
        {aside}
        <span className="spacer" />
        <button type="button" onClick={() => close.current()} data-testid="dialog-close">
          {closeLabel}
        </button>
      </header>
      <div className="modal-body">{children}</div>
    </dialog>
  );
}
