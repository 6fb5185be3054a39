import { AppError } from '@userforge/platform';

/** Raised by the repository when another user already has the email. */
export class EmailTakenError extends Error {
  constructor(readonly email: string) {
    super(`a user with email ${email} already exists`);
  }
}

export const emailTaken = (email: string) => new AppError('email_taken', `a user with email ${email} already exists`, 409);
export const userNotFound = (id: string) => AppError.notFound(`user ${id} not found`, 'user_not_found');
