import { useCallback, useRef, useState, type ReactNode } from 'react';
import { Dialog } from './Dialog';

interface Question {
  title: string;
  body: ReactNode;
  /** the destructive action's words ("Remove provider") */
  confirm: string;
}

/**
 * A confirmation for a destructive action, in the app's own modal (focus, Escape, words of the action on
 * its button). `ask` resolves true only when the action's button was pressed.
 */
export function useConfirm(): [ReactNode, (q: Question) => Promise<boolean>] {
  const [question, setQuestion] = useState<Question | null>(null);
  const answer = useRef<((yes: boolean) => void) | null>(null);
  const ask = useCallback(
    (q: Question) =>
      new Promise<boolean>((resolve) => {
        answer.current?.(false);
        answer.current = resolve;
        setQuestion(q);
      }),
    [],
  );
  const reply = (yes: boolean) => {
    answer.current?.(yes);
    answer.current = null;
    setQuestion(null);
  };
  const element = question && (
    <Dialog title={question.title} onClose={() => reply(false)} closeLabel="Cancel" testId="confirm-dialog">
      <div className="confirm-body">{question.body}</div>
      <div className="actions row">
        <button className="danger" onClick={() => reply(true)} data-testid="confirm-yes">
          {question.confirm}
        </button>
        <button onClick={() => reply(false)} data-testid="confirm-no">
          Keep it
        </button>
      </div>
    </Dialog>
  );
  return [element, ask];
}
