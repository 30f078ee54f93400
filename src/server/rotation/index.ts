export { createSecretRotation, type SecretRotation, type SecretRotationOptions, type RotationStatus, type StartRotationOptions } from './rotation.js';
export { createRotatingKeyring, type RotatingKeyring } from './rotatingKeyring.js';
