import { z } from 'zod';
import { EXPORT_FORMATS, EXPORT_MEDIA_TYPES, exportUsersQuerySchema, userViewSchema, type ExportFormat } from '@userforge/contracts';
import { AppError } from '@userforge/platform';
import { encodeUsers, exportJobUsers, USER_CSV_COLUMNS, type ExportDeps } from '@userforge/users';
import { route, type RouteSpec } from './contract/route';
import { preferredMediaType } from './contract/negotiate';
import { jobPath } from './jobs.routes';

const OFFERED = EXPORT_FORMATS.map((format) => EXPORT_MEDIA_TYPES[format]);

/** The export's format: `format` when the query names one, else the one `Accept` prefers (406 when it takes neither). */
export function exportFormat(format: ExportFormat | undefined, accept: string | undefined): ExportFormat {
  if (format) return format;
  const type = preferredMediaType(accept, OFFERED);
  const chosen = EXPORT_FORMATS.find((f) => EXPORT_MEDIA_TYPES[f] === type);
  if (!chosen) throw new AppError('not_acceptable', `Accept allows none of ${OFFERED.join(', ')}: accept one of them, or ask with format=${EXPORT_FORMATS.join('|')}`, 406);
  return chosen;
}

const csvBody = z.string().describe(`CSV (RFC 4180): a header row, \`${USER_CSV_COLUMNS.join(',')}\`, then a row a user.`);

/** `GET /v1/jobs/{id}/users`: a job's users as a file, streamed from the database in `seq` order. */
export function jobUsersRoutes(deps: ExportDeps): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/v1/jobs/:id/users',
      operationId: 'exportJobUsers',
      tag: 'jobs',
      summary: "Export a job's users (NDJSON or CSV), streamed",
      description:
        'Every user of the job in `seq` order, as `GET /v1/users/{id}` shows a user: NDJSON (`application/x-ndjson`, one user a line) ' +
        'or CSV (`text/csv`), chosen by `format` or else by `Accept`; gzipped when `Accept-Encoding` allows. A job still at work ' +
        'exports what is stored so far (`X-Export-Complete: false`). An export cut short ends without its last bytes: resume ' +
        'with `after` = the `seq` of the last complete line.',
      params: jobPath,
      query: exportUsersQuerySchema,
      responses: {
        200: {
          description: "The job's users; for NDJSON, the schema is that of each line.",
          media: { [EXPORT_MEDIA_TYPES.ndjson]: userViewSchema, [EXPORT_MEDIA_TYPES.csv]: csvBody },
          headers: ['Content-Disposition', 'X-Export-Complete', 'X-Job-State'],
        },
      },
      errors: [404, 406, 503],
      handle: async ({ params, query, req }) => {
        const format = exportFormat(query.format, req.get('accept'));
        const exported = await exportJobUsers(deps, params.id, { after: query.after });
        return {
          status: 200,
          stream: encodeUsers(format, exported.users),
          headers: {
            'Content-Type': `${EXPORT_MEDIA_TYPES[format]}; charset=utf-8`,
            'Content-Disposition': `attachment; filename="users-${exported.jobId}.${format}"`,
            'X-Export-Complete': String(exported.complete),
            'X-Job-State': exported.state,
            Vary: 'Accept',
          },
        };
      },
    }),
  ];
}
