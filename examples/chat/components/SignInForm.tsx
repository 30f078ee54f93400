'use client';

import { useActionState } from 'react';
import { signIn, type SignInState } from '@/app/actions';

export function SignInForm() {
  const [state, action, pending] = useActionState<SignInState, FormData>(signIn, {});
  return (
    <form action={action} className="signin-form">
      <label>
        Your name
        <input name="name" data-testid="name" required maxLength={40} autoFocus autoComplete="nickname" />
      </label>
      <button type="submit" disabled={pending} data-testid="sign-in">
        Sign in
      </button>
      {state.error && (
        <p className="error" role="alert">
          {state.error}
        </p>
      )}
    </form>
  );
}
