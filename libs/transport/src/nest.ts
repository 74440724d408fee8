import { Injectable, type PipeTransform } from "@nestjs/common";
import { RpcException, Transport, type ClientProxy, type NatsOptions } from "@nestjs/microservices";
import { NatsRequestJSONDeserializer } from "@nestjs/microservices/deserializers/index.js";
import { firstValueFrom, timeout } from "rxjs";
import type { z } from "zod";
import { decodeWith, type EventContract, type PayloadOf, type ReplyOf, type RequestContract } from "#contracts";

/**
 * Nest's NATS deserializer throws on bytes that are not JSON, which rejects a promise nobody
 * awaits and takes the process down. This one turns them into an event whose payload fails
 * every contract schema, so the handler's pipe rejects it with a logged reason.
 */
class TolerantNatsDeserializer extends NatsRequestJSONDeserializer {
  override deserialize(value: Uint8Array, options?: Record<string, unknown>) {
    try {
      return super.deserialize(value, options);
    } catch {
      return { pattern: String(options?.["channel"] ?? ""), data: { malformed: "payload is not valid JSON" } };
    }
  }
}

export function natsServerOptions(url: string, name: string, queue?: string): NatsOptions {
  return {
    transport: Transport.NATS,
    options: {
      servers: url,
      name,
      queue,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      waitOnFirstConnect: true,
      deserializer: new TolerantNatsDeserializer(),
    },
  };
}

export function natsClientOptions(url: string, name: string): NatsOptions {
  return {
    transport: Transport.NATS,
    options: { servers: url, name, maxReconnectAttempts: -1, reconnectTimeWait: 250, waitOnFirstConnect: true },
  };
}

/** Validates a control-plane payload against its contract; a bad one is rejected, not thrown. */
@Injectable()
export class ContractPipe<S extends z.ZodType> implements PipeTransform {
  constructor(private readonly schema: S) {}
  transform(value: unknown): z.infer<S> {
    const decoded = decodeWith(this.schema, value);
    if (!decoded.ok) throw new RpcException({ code: "bad_request", message: decoded.reason });
    return decoded.value;
  }
}

export const contractPipe = <S extends z.ZodType>(contract: { schema: S }) => new ContractPipe(contract.schema);

export async function sendContract<C extends RequestContract<z.ZodType, z.ZodType>>(
  client: ClientProxy,
  contract: C,
  payload: PayloadOf<C>,
  timeoutMs: number,
): Promise<ReplyOf<C>> {
  const reply: unknown = await firstValueFrom(client.send(contract.subject, payload).pipe(timeout(timeoutMs)));
  const decoded = decodeWith(contract.reply, reply);
  if (!decoded.ok) throw new Error(`${contract.subject}: malformed reply: ${decoded.reason}`);
  return decoded.value as ReplyOf<C>;
}

export function emitContract<C extends EventContract<z.ZodType>>(
  client: ClientProxy,
  contract: C,
  payload: PayloadOf<C>,
): void {
  client.emit(contract.subject, payload).subscribe({ error: () => undefined });
}
