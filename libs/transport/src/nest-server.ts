import { Catch, type INestMicroservice, type RpcExceptionFilter } from "@nestjs/common";
import { NestFactory } from "@nestjs/core";
import { BaseRpcContext, Server, type CustomTransportStrategy, type MessageHandler } from "@nestjs/microservices";
import type { Subscription } from "nats";
import { lastValueFrom, throwError, type Observable } from "rxjs";
import type { AnyContract } from "#contracts";
import { NestPinoLogger, type Logger } from "#logging";
import type { ContractBus } from "./bus.js";

/** What `@Ctx()` gives a handler served by the ContractServer. */
export class ContractContext extends BaseRpcContext<[subject: string, from: string | null]> {
  getSubject(): string {
    return this.args[0];
  }

  /** The sender of a sender-bound contract's message (`{from}`), else null. */
  getSender(): string | null {
    return this.args[1];
  }
}

/**
 * A Nest transport strategy over the process's ContractBus: `@MessagePattern(Contract.subject)`
 * and `@EventPattern(Contract.subject)` controllers are served through the bus, so every message
 * is decoded against its contract before a controller sees it (garbage or another contract
 * version is refused with a logged reason and, for a request, a `bad_request` reply) and a
 * handler's SpecFleetError is answered with its code. It opens no connection of its own.
 *
 * The contracts it serves are listed once; a handler without a contract, a contract without a
 * handler, or a request served as an event (or the reverse) stops the actor at start.
 */
export class ContractServer extends Server implements CustomTransportStrategy {
  private readonly subscriptions: Subscription[] = [];

  constructor(
    private readonly bus: ContractBus,
    private readonly contracts: readonly AnyContract[],
  ) {
    super();
  }

  listen(callback: (error?: unknown) => void): void {
    try {
      for (const contract of this.contracts) this.subscriptions.push(this.route(contract));
      this.checkEveryHandlerHasAContract();
    } catch (error) {
      this.close();
      callback(error);
      return;
    }
    callback();
  }

  close(): void {
    for (const subscription of this.subscriptions.splice(0)) subscription.unsubscribe();
  }

  /** The bus logs its connection's status; Nest's status events are not emitted. */
  on(): void {}

  unwrap<T>(): T {
    return this.bus as T;
  }

  private route(contract: AnyContract): Subscription {
    if (contract.subject.includes("{id}"))
      throw new Error(`${contract.subject}: a per-worker subject is served with ContractBus.serve, not a controller`);
    const handler = this.messageHandlers.get(contract.subject);
    const decorator = contract.kind === "request" ? "@MessagePattern" : "@EventPattern";
    if (!handler) throw new Error(`${contract.subject} has no ${decorator} handler in this actor`);
    if (Boolean(handler.isEventHandler) !== (contract.kind === "event"))
      throw new Error(
        `${contract.subject} is ${contract.kind === "event" ? "an event" : "a request"} contract: serve it with ${decorator}`,
      );
    const contextOf = (from: string | null) => new ContractContext([contract.subject, from]);
    if (contract.kind === "request")
      return this.bus.serve(contract, "", (payload, meta) => this.invoke(handler, payload, contextOf(meta.from)));
    return this.bus.subscribe(contract, "", async (payload, meta) => {
      // Nest chains several @EventPattern handlers of one pattern; each gets the event.
      for (let next: MessageHandler | undefined = handler; next; next = next.next as MessageHandler | undefined)
        await this.invoke(next, payload, contextOf(meta.from));
    });
  }

  private checkEveryHandlerHasAContract(): void {
    const declared = new Set(this.contracts.map((c) => c.subject));
    for (const [pattern, handler] of this.messageHandlers) {
      if (declared.has(pattern)) continue;
      const decorator = handler.isEventHandler ? "@EventPattern" : "@MessagePattern";
      throw new Error(`${decorator}('${pattern}') has no contract: list it among the contracts this actor serves`);
    }
  }

  /** Runs a Nest handler (its guards, interceptors and filters) to its last value. */
  private async invoke(handler: MessageHandler, payload: unknown, context: ContractContext): Promise<unknown> {
    const result: unknown = await handler(payload, context);
    return lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
  }
}

/**
 * Nest's default RPC filter turns every exception but an RpcException into "Internal server
 * error"; this one hands the exception back unchanged so the bus answers with its code.
 */
@Catch()
export class RethrowRpcErrors implements RpcExceptionFilter<unknown> {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}

/** A Nest microservice whose controllers serve `contracts` over `bus`, logging through `log`. */
export async function createContractMicroservice(
  module: Parameters<typeof NestFactory.createMicroservice>[0],
  options: { bus: ContractBus; contracts: readonly AnyContract[]; log: Logger },
): Promise<INestMicroservice> {
  const app = await NestFactory.createMicroservice(module, {
    strategy: new ContractServer(options.bus, options.contracts),
    logger: new NestPinoLogger(options.log),
  });
  app.useGlobalFilters(new RethrowRpcErrors());
  return app;
}
