/** @jest-environment jsdom */
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { changesOf, UserEditForm, valuesOf } from '../src/components/user-edit-form';
import { validateUserEdit } from '../src/components/validation';
import { aUser, jsonResponse, mockFetch } from './helpers';

const type = (label: string, value: string) => fireEvent.change(screen.getByLabelText(label), { target: { value } });
const save = () => fireEvent.click(screen.getByRole('button', { name: 'Save' }));
const messageOf = (label: string) => {
  const input = screen.getByLabelText(label);
  const id = (input.getAttribute('aria-describedby') ?? '').split(' ').find((d) => d.endsWith('-error'));
  return id ? (document.getElementById(id)?.textContent ?? null) : null;
};

describe('user edit form', () => {
  it('starts from the user and labels every field', () => {
    mockFetch(() => undefined);
    render(<UserEditForm user={aUser()} onSaved={jest.fn()} onCancel={jest.fn()} />);
    const value = (label: string) => (screen.getByLabelText(label) as HTMLInputElement).value;
    expect(value('First name')).toBe('Ada');
    expect(value('Last name')).toBe('Lovelace');
    expect(value('Email')).toBe('ada.lovelace@example.com');
    expect(value('Job title')).toBe('Mathematician');
    expect(value('City')).toBe('London');
    expect(value('Country')).toBe('United Kingdom');
  });

  it('says which fields are required and which email is malformed, next to the fields', () => {
    const fetch = mockFetch(() => undefined);
    const onSaved = jest.fn();
    render(<UserEditForm user={aUser()} onSaved={onSaved} onCancel={jest.fn()} />);
    type('First name', '  ');
    type('City', '');
    type('Email', 'ada.example.com');
    save();
    expect(messageOf('First name')).toBe('First name is required.');
    expect(messageOf('City')).toBe('City is required.');
    expect(messageOf('Email')).toBe('Enter a valid email address, like name@example.com.');
    expect(messageOf('Last name')).toBeNull();
    expect(screen.getByLabelText('Email').getAttribute('aria-invalid')).toBe('true');
    expect(document.activeElement).toBe(screen.getByLabelText('First name'));
    expect(fetch).not.toHaveBeenCalled();
    expect(onSaved).not.toHaveBeenCalled();
  });

  it('sends only what changed and hands back the saved user', async () => {
    const user = aUser();
    const saved = aUser({ email: 'ada@example.org', address: { ...user.address, city: 'Paris', country: 'France' } });
    const fetch = mockFetch((url, init) => (init?.method === 'PATCH' && url.pathname === `/v1/users/${user.id}` ? jsonResponse(200, saved) : undefined));
    const onSaved = jest.fn();
    render(<UserEditForm user={user} onSaved={onSaved} onCancel={jest.fn()} />);
    type('Email', 'ada@example.org');
    type('City', 'Paris');
    type('Country', 'France');
    save();
    await waitFor(() => expect(onSaved).toHaveBeenCalledWith(saved));
    expect(JSON.parse(String(fetch.mock.calls[0]?.[1]?.body))).toEqual({
      email: 'ada@example.org',
      address: { street: '12 St James Sq', city: 'Paris', country: 'France' },
    });
  });

  it("shows the server's message, next to Email when the address is taken", async () => {
    mockFetch(() => jsonResponse(409, { error: { code: 'email_taken', message: 'email ada@example.org is already used' } }));
    const onSaved = jest.fn();
    render(<UserEditForm user={aUser()} onSaved={onSaved} onCancel={jest.fn()} />);
    type('Email', 'ada@example.org');
    save();
    expect((await screen.findByRole('alert')).textContent).toBe('email ada@example.org is already used');
    expect(messageOf('Email')).toBe('email ada@example.org is already used');
    expect(onSaved).not.toHaveBeenCalled();
  });

  it('validates and diffs as pure functions', () => {
    const user = aUser();
    expect(validateUserEdit(valuesOf(user))).toEqual({});
    expect(validateUserEdit({ ...valuesOf(user), jobTitle: 'x'.repeat(201) }).jobTitle).toBe('Job title must be at most 200 characters.');
    expect(validateUserEdit({ ...valuesOf(user), email: 'a@b' }).email).toBe('Enter a valid email address, like name@example.com.');
    expect(changesOf(user, valuesOf(user))).toEqual({});
    expect(changesOf(user, { ...valuesOf(user), lastName: ' Byron ' })).toEqual({ name: { first: 'Ada', last: 'Byron' } });
  });
});
