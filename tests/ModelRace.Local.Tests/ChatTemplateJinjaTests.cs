using ModelRace.Local.Chat.Jinja;

namespace ModelRace.Local.Tests;

/// <summary>The Jinja subset chat templates are written in, with Hugging Face's whitespace settings.</summary>
public sealed class ChatTemplateJinjaTests
{
    private static string Render(string source, IReadOnlyDictionary<string, object?>? variables = null, TimeProvider? clock = null) =>
        JinjaTemplate.Parse(source).Render(variables ?? new Dictionary<string, object?>(), clock);

    private static readonly Dictionary<string, object?> Conversation = new()
    {
        ["messages"] = new List<Dictionary<string, object?>>
        {
            new() { ["role"] = "user", ["content"] = "Hi!" },
            new() { ["role"] = "assistant", ["content"] = "Hello." },
            new() { ["role"] = "user", ["content"] = "Bye." },
        },
    };

    [Theory]
    [InlineData("{{ 1 + 2 * 3 }}", "7")]
    [InlineData("{{ (1 + 2) * 3 }}", "9")]
    [InlineData("{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ 7 / 2 }} {{ 2 ** 3 }}", "3 -4 1 3.5 8")]
    [InlineData("{{ 'a' ~ 1 ~ none }}", "a1None")]
    [InlineData("{{ 'a' + 'b' }}{{ [1] + [2] }}", "ab[1, 2]")]
    [InlineData("{{ 'b' in 'abc' }} {{ 2 in [1, 2] }} {{ 'k' in {'k': 1} }} {{ 3 not in [1] }}", "True True True True")]
    [InlineData("{{ 1 < 2 and 'x' != 'y' }} {{ not true or false }} {{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }}", "True False True False")]
    [InlineData("{{ 'yes' if 1 > 2 else 'no' }}", "no")]
    [InlineData("{{ none or 'fallback' }} {{ 0 and 'never' }}", "fallback 0")]
    [InlineData("{{ '  x  ' | trim }}|{{ [1, 2, 3] | length }}|{{ 'Ab' | upper }}{{ 'Ab' | lower }}", "x|3|ABab")]
    [InlineData("{{ missing | default('d') }} {{ none | default('d') }} {{ '' | default('d', true) }}", "d None d")]
    [InlineData("{{ 3 | string + 'x' }} {{ '42' | int + 1 }} {{ [3, 1, 2] | sort | join(',') }}", "3x 43 1,2,3")]
    [InlineData("{{ [1, 2, 3] | first }}{{ [1, 2, 3] | last }} {{ 'abc' | reverse }} {{ 'hello world' | title }}", "13 cba Hello World")]
    [InlineData("{{ x is defined }} {{ missing is defined }} {{ none is none }} {{ 'a' is string }} {{ 1 is string }} {{ 1 is not none }}", "True False True True False True")]
    [InlineData("{{ {'a': 1} is mapping }} {{ 4 is even }} {{ 9 is divisibleby 3 }} {{ x is number }}", "True True True True")]
    [InlineData("{{ '  a b  '.strip() }}|{{ 'xxhixx'.strip('x') }}|{{ 'hello'.startswith('he') }}|{{ 'hello'.endswith(('lo', 'x')) }}", "a b|hi|True|True")]
    [InlineData("{{ 'a,b,,c'.split(',') }} {{ ' a  b '.split() }} {{ 'a-b-c'.split('-', 1) }}", "['a', 'b', '', 'c'] ['a', 'b'] ['a', 'b-c']")]
    [InlineData("{{ 'Hi {}, {name}'.format('Bo', name='Al') }} {{ ', '.join(['a', 'b']) }} {{ 'aXbX'.replace('X', '-') }}", "Hi Bo, Al a, b a-b-")]
    [InlineData("{{ [1, 2, 3, 4][1:3] }} {{ [1, 2, 3][::-1] }} {{ 'hello'[-1] }} {{ 'hello'[:2] }}", "[2, 3] [3, 2, 1] o he")]
    [InlineData("{{ {'a': [1, 2.5, true, none, 'é\"']} | tojson }}", """{"a": [1, 2.5, true, null, "é\""]}""")]
    [InlineData("{{ {'a': {'b': [1]}} | tojson(indent=2) }}", "{\n  \"a\": {\n    \"b\": [\n      1\n    ]\n  }\n}")]
    [InlineData("{{ 'it\\'s\\t\"q\"\\n' }}{{ \"\\u00e9\" }}", "it's\t\"q\"\né")]
    [InlineData("{{ 'a' 'b' }}{# a comment #}{{ 1.0 }} {{ 0.5 }} {{ true }}", "ab1.0 0.5 True")]
    [InlineData("{{ {'k': 'v'}.items() | list }} {{ {'k': 'v'}.get('k') }} {{ {'k': 'v'}.get('z', 'none') }}", "[['k', 'v']] v none")]
    [InlineData("{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }};{% endfor %}", "a=1;b=2;")]
    [InlineData("{{ [{'n': 1}, {'n': 2}] | map(attribute='n') | join('+') }} {{ [1, none, 2] | select | list }}", "1+2 [1, 2]")]
    [InlineData("{{ [{'r': 'a'}, {'r': 'b'}] | selectattr('r', 'equalto', 'b') | list | length }}", "1")]
    public void Expressions_follow_python_and_jinja_semantics(string source, string expected)
    {
        Assert.Equal(expected, Render(source, new Dictionary<string, object?> { ["x"] = 5 }));
    }

    [Fact]
    public void Loop_variables_count_and_mark_the_ends()
    {
        Assert.Equal("0TrueFalse3,1FalseFalse3,2FalseTrue3",
            Render("{% for c in 'abc' %}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{% if not loop.last %},{% endif %}{% endfor %}"));
        Assert.Equal("1:a>b 2:b>c 3:c>", Render("{% for c in ['a', 'b', 'c'] %}{{ loop.index }}:{{ c }}>{{ loop.nextitem }}{{ ' ' if not loop.last }}{% endfor %}"));
        Assert.Equal("empty", Render("{% for x in [] %}{{ x }}{% else %}empty{% endfor %}"));
        Assert.Equal("13", Render("{% for x in [1, 2, 3] if x != 2 %}{{ x }}{% endfor %}"));
        Assert.Equal("1", Render("{% for x in [1, 2, 3] %}{% if x == 2 %}{% break %}{% endif %}{{ x }}{% endfor %}"));
        Assert.Equal("13", Render("{% for x in [1, 2, 3] %}{% if x == 2 %}{% continue %}{% endif %}{{ x }}{% endfor %}"));
    }

    [Fact]
    public void Set_inside_a_loop_stays_in_the_loop_but_namespace_attributes_escape_it()
    {
        Assert.Equal("1", Render("{% set x = 1 %}{% for i in [1, 2] %}{% set x = i %}{% endfor %}{{ x }}"));
        Assert.Equal("2", Render("{% set ns = namespace(x=1) %}{% for i in [1, 2] %}{% set ns.x = i %}{% endfor %}{{ ns.x }}"));
        Assert.Equal("ab", Render("{% set a, b = 'a', 'b' %}{{ a }}{{ b }}"));
        Assert.Equal("[x]", Render("{% set block %}[{{ 'x' }}]{% endset %}{{ block }}"));
        var error = Assert.Throws<JinjaException>(() => Render("{% set x = 1 %}{% set x.y = 2 %}"));
        Assert.Contains("namespace", error.Message);
    }

    [Fact]
    public void Item_and_attribute_access_reach_the_same_message_fields()
    {
        Assert.Equal("user user Bye. 2 assistant",
            Render("{{ messages[0]['role'] }} {{ messages[0].role }} {{ messages[-1].content }} {{ messages[1:] | length }} {{ messages[1]['role'] }}", Conversation));
        Assert.Equal("", Render("{{ messages[0].tool_calls }}{{ messages[9] }}", Conversation));
    }

    [Fact]
    public void Block_tags_eat_their_line_break_and_indentation_as_in_hugging_face_templates()
    {
        const string source = "{% for m in messages %}\n  {% if m.role == 'user' %}\nU: {{ m.content }}\n  {% endif %}\n{% endfor %}\n";
        Assert.Equal("U: Hi!\nU: Bye.\n", Render(source, Conversation));
    }

    [Fact]
    public void Minus_signs_strip_whitespace_on_their_side_only()
    {
        Assert.Equal("a|b  |c", Render("a  \n  {{- '|' }}b  {{ '|' -}}  \n  c"));
        Assert.Equal("a\n\nb", Render("a\n{# keep #}\n\nb"));
        Assert.Equal("x y", Render("{% if true %}x {%+ endif %}y"));
    }

    [Fact]
    public void Raw_blocks_are_output_verbatim()
    {
        Assert.Equal("{{ not evaluated }}", Render("{% raw %}{{ not evaluated }}{% endraw %}"));
    }

    [Fact]
    public void Macros_take_defaults_and_keyword_arguments()
    {
        Assert.Equal("Hi Bo! Hi Al?",
            Render("{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('Bo') }} {{ greet('Al', punct='?') }}"));
    }

    [Fact]
    public void Filter_blocks_apply_to_their_rendered_body()
    {
        Assert.Equal("HELLO", Render("{% filter upper %}hello{% endfilter %}"));
    }

    [Fact]
    public void Raise_exception_surfaces_the_templates_message()
    {
        var error = Assert.Throws<JinjaRaisedException>(() => Render("{{ raise_exception('System role not supported') }}"));
        Assert.Equal("System role not supported", error.TemplateMessage);
        Assert.Contains("System role not supported", error.Message);
    }

    [Fact]
    public void Strftime_now_formats_the_given_clock_like_python()
    {
        var clock = new FixedClock(new DateTimeOffset(2026, 7, 4, 9, 5, 0, TimeSpan.Zero));
        Assert.Equal("04 Jul 2026 09:05", Render("{{ strftime_now('%d %b %Y %H:%M') }}", clock: clock));
    }

    [Theory]
    [InlineData("{% if x %}never closed", "endif")]
    [InlineData("{{ 'unterminated }}", "unterminated string")]
    [InlineData("{{ x | no_such_filter }}", "unknown filter 'no_such_filter'")]
    [InlineData("{% include 'other.j2' %}", "unsupported tag")]
    [InlineData("line one\n{{ 1 + 'a' }}", "template line 2")]
    [InlineData("{{ nothing() }}", "'nothing' is undefined")]
    [InlineData("{% for a, b in [[1, 2, 3]] %}{% endfor %}", "cannot unpack")]
    public void Bad_templates_fail_with_a_message_that_says_what_and_where(string source, string expectedFragment)
    {
        var error = Assert.Throws<JinjaException>(() => Render(source));
        Assert.Contains(expectedFragment, error.Message);
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
        public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;
    }
}
