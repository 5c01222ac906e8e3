/* The operator forms' tables (ops_form.h): each field of a connection, agent, campaign and user named once. */
#include <stddef.h>
#include <string.h>

#include "ops.h"
#include "ops_campaign.h"
#include "ops_form.h"

#define AT(type, member)	offsetof(struct type, member)

static const struct ops_field	 connection_fields[OPS_CONN__MAX] = {
	[OPS_CONN_NAME] = { .name = "name", .label = "Name",
	    .kind = OPS_FIELD_TEXT, .required = 1,
	    .help = "An internal name shown across the admin.",
	    .offset = AT(ops_connection_form, name), .cli_option = "name" },
	[OPS_CONN_DESCRIPTION] = { .name = "description",
	    .label = "Description", .kind = OPS_FIELD_TEXT,
	    .help = "Internal reference.",
	    .offset = AT(ops_connection_form, description),
	    .cli_option = "description" },
	[OPS_CONN_API_KEY] = { .name = "api_key", .label = "API Key",
	    .kind = OPS_FIELD_SECRET, .required = 1, .flags = OPS_FIELD_NOFILL,
	    .help = "Paste the key itself, without any prefix. It is stored"
	    " encrypted and shown masked.",
	    .help_edit = "Shown masked. Leave it to keep the key; paste a new"
	    " key over it to replace it.",
	    .offset = AT(ops_connection_form, api_key),
	    .cli_option = "api-key", .cli_file = "api-key-file" },
	[OPS_CONN_API_URL] = { .name = "api_url", .label = "API URL",
	    .kind = OPS_FIELD_TEXT, .required = 1,
	    .placeholder = "xxxxx.api.infobip.com",
	    .help = "Your account's base URL; https:// is added when"
	    " omitted.",
	    .offset = AT(ops_connection_form, api_url),
	    .cli_option = "api-url" },
	[OPS_CONN_SENDER] = { .name = "sender", .label = "Sender",
	    .kind = OPS_FIELD_TEXT, .required = 1,
	    .placeholder = "447700900000 or YourBrand",
	    .help = "A phone number (digits, optional +) or an alphanumeric"
	    " name of up to 11 characters, as set up in your Infobip account."
	    " Customers can reply only to a number.",
	    .offset = AT(ops_connection_form, sender), .cli_option = "sender" },
};
const struct ops_form	 ops_connection_fields = { connection_fields,
	OPS_CONN__MAX };

static const struct ops_field	 agent_fields[OPS_AGENT__MAX] = {
	[OPS_AGENT_NAME] = { .name = "name", .label = "Name",
	    .kind = OPS_FIELD_TEXT, .required = 1,
	    .offset = AT(ops_agent_form, name), .cli_option = "name" },
	[OPS_AGENT_KIND] = { .name = "kind", .label = "Kind",
	    .kind = OPS_FIELD_CHOICE,
	    .offset = AT(ops_agent_form, kind), .cli_option = "kind" },
	[OPS_AGENT_INSTRUCTIONS] = { .name = "instructions",
	    .label = "Instructions", .kind = OPS_FIELD_LINES, .lines = 10,
	    .help = "Rules agent: one directive per line (greeting:, rule:"
	    " KEYWORDS => ANSWER, ask:, fallback: ...); empty means a greeting"
	    " and a fallback. Chat model: the system prompt.",
	    .offset = AT(ops_agent_form, instructions),
	    .cli_file = "instructions-file" },
	[OPS_AGENT_URL] = { .name = "url", .label = "URL",
	    .kind = OPS_FIELD_TEXT,
	    .placeholder = "https://agent.example.com/answer",
	    .help = "HTTP webhook: its endpoint. Chat model: the base URL."
	    " https is required with an API key (plain http only on this"
	    " machine).",
	    .offset = AT(ops_agent_form, url), .cli_option = "url" },
	[OPS_AGENT_MODEL] = { .name = "model", .label = "Model",
	    .kind = OPS_FIELD_TEXT, .help = "Chat model only.",
	    .offset = AT(ops_agent_form, model), .cli_option = "model" },
	[OPS_AGENT_API_KEY] = { .name = "api_key", .label = "API Key",
	    .kind = OPS_FIELD_SECRET, .flags = OPS_FIELD_NOFILL,
	    .help = "Optional; sent as a bearer token. Stored encrypted, shown"
	    " masked.",
	    .help_edit = "Shown masked. Leave it to keep the key, paste a new"
	    " one to replace it, empty it to remove it.",
	    .offset = AT(ops_agent_form, api_key),
	    .cli_file = "api-key-file" },
};
const struct ops_form	 ops_agent_fields = { agent_fields, OPS_AGENT__MAX };

static const struct ops_field	 campaign_fields[OPS_CAMP__MAX] = {
	[OPS_CAMP_NAME] = { .name = "name", .label = "Communication name",
	    .kind = OPS_FIELD_TEXT, .required = 1, .flags = OPS_FIELD_NOFILL,
	    .placeholder = "SPRING_OFFER",
	    .help = "Upper-case letters, digits and underscores.",
	    .offset = AT(ops_campaign_form, name), .cli_option = "name" },
	[OPS_CAMP_CONNECTION] = { .name = "connection", .label = "Connection",
	    .kind = OPS_FIELD_CHOICE,
	    .offset = AT(ops_campaign_form, connection),
	    .cli_option = "connection" },
	[OPS_CAMP_AGENT] = { .name = "agent", .label = "Agent",
	    .kind = OPS_FIELD_CHOICE,
	    .offset = AT(ops_campaign_form, agent), .cli_option = "agent" },
	[OPS_CAMP_TEXT] = { .name = "text", .label = "Text",
	    .kind = OPS_FIELD_LINES, .required = 1, .lines = 4,
	    .placeholder = "Hi {{name}}, our spring offer...",
	    .help = "{{field}} is replaced by the recipient's value of that CSV"
	    " column; {{phone}} by the number. Longer than 1600 characters is"
	    " cut.",
	    .offset = AT(ops_campaign_form, text), .cli_option = "text" },
	[OPS_CAMP_START] = { .name = "start", .label = "Start",
	    .kind = OPS_FIELD_DATETIME, .help = "Empty: when you press Start.",
	    .offset = AT(ops_campaign_form, start), .cli_option = "start" },
	[OPS_CAMP_TZ] = { .name = "tz", .label = "Time zone",
	    .kind = OPS_FIELD_TEXT, .flags = OPS_FIELD_NOFILL,
	    .help = "An IANA zone name; empty: the installation's.",
	    .offset = AT(ops_campaign_form, tz), .cli_option = "tz" },
	[OPS_CAMP_WINDOW] = { .name = "window", .label = "Sending window",
	    .kind = OPS_FIELD_TEXT, .flags = OPS_FIELD_NOFILL,
	    .placeholder = "09:00-20:00",
	    .help = "Local times of each recipient (its timezone column, else"
	    " the campaign's); empty: any time.",
	    .offset = AT(ops_campaign_form, window), .cli_option = "window" },
	[OPS_CAMP_RATE] = { .name = "rate", .label = "Throttle",
	    .kind = OPS_FIELD_TEXT, .flags = OPS_FIELD_NOFILL,
	    .help = "Messages per minute, 1 to 60000; empty: the"
	    " installation's.",
	    .offset = AT(ops_campaign_form, rate), .cli_option = "rate" },
};
const struct ops_form	 ops_campaign_fields = { campaign_fields,
	OPS_CAMP__MAX };

/* The command line names a user and a role by position (user set NAME ROLE): no options. */
static const struct ops_field	 user_fields[OPS_USER__MAX] = {
	[OPS_USER_USERNAME] = { .name = "username", .label = "User name",
	    .kind = OPS_FIELD_TEXT, .required = 1, .flags = OPS_FIELD_NOFILL,
	    .help = "As the web server signs them in (REMOTE_USER).",
	    .offset = AT(ops_user_form, username) },
	[OPS_USER_ROLE] = { .name = "role", .label = "Role",
	    .kind = OPS_FIELD_CHOICE, .offset = AT(ops_user_form, role) },
};
const struct ops_form	 ops_user_fields = { user_fields, OPS_USER__MAX };

const char *
ops_form_get(const struct ops_field *f, const void *form)
{
	const char	*v;

	memcpy(&v, (const char *)form + f->offset, sizeof(v));
	return v;
}

void
ops_form_set(const struct ops_field *f, void *form, const char *value)
{
	memcpy((char *)form + f->offset, &value, sizeof(value));
}
