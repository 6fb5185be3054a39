/** A MongoDB ObjectId as ids travel in URLs and messages: 24 lowercase hexadecimal characters. */
export const OBJECT_ID_HEX = /^[a-f0-9]{24}$/;

export const isObjectIdHex = (s: string): boolean => OBJECT_ID_HEX.test(s);
