import { EventEmitter } from 'node:events';
import type { PlatformEvent } from '@userforge/contracts';

/** In-process fan-out of platform events to this instance's Server-Sent Events clients. */
export class EventHub {
  private readonly emitter = new EventEmitter();
  constructor() {
    this.emitter.setMaxListeners(0);
  }
  emit(event: PlatformEvent): void {
    this.emitter.emit('event', event);
  }
  subscribe(listener: (event: PlatformEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
  /** Tells every stream to end (on shutdown). */
  close(): void {
    this.emitter.emit('close');
  }
  onClose(listener: () => void): () => void {
    this.emitter.on('close', listener);
    return () => this.emitter.off('close', listener);
  }
}
