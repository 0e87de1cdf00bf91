export const json = (data, status = 200) => Response.json(data, { status });
