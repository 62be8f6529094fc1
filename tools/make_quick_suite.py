#!/usr/bin/env python3
"""Writes src/ModelRace.Race/Suites/BuiltIn/quick.jsonl, the built-in `quick` suite (items written by the ModelRace authors).
Every item carries a reference_reply that its scorer must accept; RaceSuiteTests checks that."""
import json, pathlib

items = []
def add(cat, id, prompt, scorer, answers=None, reply=None, **extra):
    item = {"id": f"{cat}-{id}", "category": cat, "prompt": prompt, "scorer": scorer}
    if answers is not None: item["answers"] = answers
    item.update(extra)
    item["reference_reply"] = reply
    items.append(item)

# knowledge: short facts, scored by "contains" on the key term
K = [("What is the chemical symbol for gold?", ["Au"], "The symbol is Au."),
     ("Which planet is known as the Red Planet?", ["Mars"], "Mars."),
     ("What is the capital city of Australia?", ["Canberra"], "Canberra."),
     ("How many sides does a hexagon have?", ["six", "6"], "6"),
     ("Who wrote the play 'Romeo and Juliet'?", ["Shakespeare"], "William Shakespeare."),
     ("What gas do plants absorb from the air for photosynthesis?", ["carbon dioxide", "CO2"], "Carbon dioxide."),
     ("What is the largest ocean on Earth?", ["Pacific"], "The Pacific Ocean."),
     ("In which year did the Second World War end?", ["1945"], "1945"),
     ("What is the boiling point of water at sea level in degrees Celsius?", ["100"], "100 degrees Celsius."),
     ("Which organ pumps blood around the human body?", ["heart"], "The heart."),
     ("What is the hardest natural mineral?", ["diamond"], "Diamond."),
     ("What currency is used in Japan?", ["yen"], "The yen."),
     ("Which element has the atomic number 1?", ["hydrogen"], "Hydrogen."),
     ("What is the longest river in Africa?", ["Nile"], "The Nile."),
     ("How many minutes are in a full day?", ["1440", "1,440"], "1440 minutes."),
     ("Which programming language is primarily used with the .NET runtime and was designed by Anders Hejlsberg?", ["C#"], "C#."),
     ("What is the speed of light in vacuum, in kilometres per second, to the nearest thousand?", ["300000", "300,000", "300 000"], "About 300000 km/s."),
     ("What is the smallest prime number?", ["2", "two"], "2"),
     ("Which continent is Kenya in?", ["Africa"], "Africa."),
     ("What does the acronym HTTP stand for?", ["Hypertext Transfer Protocol"], "Hypertext Transfer Protocol.")]
for i, (q, a, r) in enumerate(K, 1):
    add("knowledge", f"{i:02}", q + " Answer briefly.", "contains", a, r)

# arithmetic word problems: numeric (lm-evaluation-harness flexible extraction: the last number in the reply)
A = [("A shop sells pens at 3 dollars each. How much do 14 pens cost in dollars?", 42),
     ("Maria has 120 stickers and gives away a quarter of them. How many does she keep?", 90),
     ("A train travels 60 km per hour for 2.5 hours. How many kilometres does it travel?", 150),
     ("Tom buys 3 boxes of 12 eggs and breaks 5 eggs. How many unbroken eggs does he have?", 31),
     ("A class of 28 pupils splits into teams of 4. How many teams are there?", 7),
     ("The temperature was -3 degrees and rose by 11 degrees. What is the temperature now?", 8),
     ("A jacket costs 80 dollars and is discounted by 25 percent. What is the new price in dollars?", 60),
     ("Lena reads 35 pages a day. How many pages does she read in 2 weeks?", 490),
     ("A farmer has 17 cows and 23 sheep. He sells 9 sheep. How many animals does he have left?", 31),
     ("A rectangle is 13 m long and 7 m wide. What is its area in square metres?", 91),
     ("Sam saves 250 dollars a month. How much has he saved after one year?", 3000),
     ("A bottle holds 1.5 litres. How many litres do 8 bottles hold?", 12),
     ("A company had 1,200 employees and hired 15 percent more. How many employees does it have now?", 1380),
     ("Three friends share a bill of 96 dollars equally. How much does each pay?", 32),
     ("A car uses 6 litres of fuel per 100 km. How many litres does it use for 450 km?", 27),
     ("A baker makes 144 rolls and packs them in bags of 6. How many bags does she fill?", 24),
     ("An account has 500 dollars and 730 dollars is withdrawn. What is the balance in dollars?", -230),
     ("A movie starts at 19:40 and lasts 135 minutes. How many minutes after 21:00 does it end?", 55),
     ("Ahmed is 4 times as old as his son, who is 9. How old will Ahmed be in 5 years?", 41),
     ("A warehouse ships 2,345 parcels on Monday and 1,655 on Tuesday. How many in total?", 4000)]
for i, (q, n) in enumerate(A, 1):
    add("arithmetic", f"{i:02}", q + " Show your working briefly and end your reply with the final number.", "numeric", [str(n)],
        f"Working it out step by step, the result is {n}")

# reasoning: multiple choice, letter extraction
R = [("If all bloops are razzies and all razzies are lazzies, are all bloops lazzies?", ["Yes", "No", "Only some", "Cannot be known"], "A"),
     ("Anna is taller than Ben. Ben is taller than Carl. Who is the shortest?", ["Anna", "Ben", "Carl", "They are equal"], "C"),
     ("What comes next in the sequence 2, 6, 12, 20, 30, ...?", ["40", "42", "44", "36"], "B"),
     ("A clock shows 3:00. What is the angle between the hour and minute hands?", ["45 degrees", "60 degrees", "90 degrees", "180 degrees"], "C"),
     ("If today is Wednesday, what day will it be in 10 days?", ["Friday", "Saturday", "Sunday", "Monday"], "B"),
     ("Which number is the odd one out: 3, 5, 7, 9, 11?", ["3", "5", "9", "11"], "C"),
     ("A bat and a ball cost 1.10 dollars together; the bat costs 1.00 dollar more than the ball. How much is the ball?", ["0.10 dollars", "0.05 dollars", "0.15 dollars", "0.01 dollars"], "B"),
     ("Five machines make five widgets in five minutes. How long do 100 machines take to make 100 widgets?", ["100 minutes", "20 minutes", "5 minutes", "1 minute"], "C"),
     ("Some cats are black. Tom is a cat. Which statement must be true?", ["Tom is black", "Tom is not black", "Tom may or may not be black", "No cat is black"], "C"),
     ("A is the brother of B. B is the mother of C. What is A to C?", ["Father", "Uncle", "Brother", "Cousin"], "B"),
     ("Which word does not belong: apple, banana, carrot, cherry?", ["apple", "banana", "carrot", "cherry"], "C"),
     ("If it rains, the ground is wet. The ground is not wet. What follows?", ["It rained", "It did not rain", "It may have rained", "The ground is dry because of sun"], "B"),
     ("How many times does the digit 1 appear when writing the numbers 1 to 12?", ["4", "5", "3", "6"], "B"),
     ("A pond's lily pads double every day and cover the pond on day 30. On which day was it half covered?", ["Day 15", "Day 29", "Day 28", "Day 1"], "B"),
     ("Which is heavier: a kilogram of feathers or a kilogram of iron?", ["The feathers", "The iron", "They weigh the same", "It depends on the volume"], "C")]
for i, (q, choices, letter) in enumerate(R, 1):
    body = q + "\n" + "\n".join(f"{chr(65 + j)}. {c}" for j, c in enumerate(choices)) + "\nReply with the letter of the correct option."
    add("reasoning", f"{i:02}", body, "choice", [letter], f"The answer is {letter}.", choices=choices)

# instruction following with format constraints: regex / exact / not-contains
I = [("Reply with exactly the word OK in capital letters and nothing else.", "regex", [r"^\s*OK\s*$"], "OK"),
     ("Write today's example date 5 March 2024 in ISO 8601 format (YYYY-MM-DD) and nothing else.", "regex", [r"^\s*2024-03-05\s*$"], "2024-03-05"),
     ("List three primary colours of light as a comma-separated list in lower case, nothing else.", "regex", [r"^\s*(red|green|blue)\s*,\s*(red|green|blue)\s*,\s*(red|green|blue)\s*$"], "red, green, blue"),
     ("Answer in exactly one word: what colour is a clear daytime sky?", "regex", [r"^\s*\W*blue\W*\s*$"], "Blue"),
     ("Write the number forty-two using digits only.", "regex", [r"^\s*42\s*$"], "42"),
     ("Spell the word 'cat' backwards in lower case, nothing else.", "exact", ["tac"], "tac"),
     ("Write a haiku about rain. Do not use the letter combination 'umbrella' anywhere.", "not-contains", ["umbrella"], "Soft drops on the roof\ngrey clouds hum a quiet song\npuddles hold the sky"),
     ("Give a one-sentence product tagline for a bicycle shop that does NOT mention price or the word 'cheap'.", "not-contains", ["cheap", "price"], "Ride further, smile wider."),
     ("Reply with a markdown bullet list of exactly two items: apples and pears.", "regex", [r"^\s*[-*] +apples?\s*\n\s*[-*] +pears?\s*$"], "- apples\n- pears"),
     ("Convert the word 'hello' to upper case and reply with only the result.", "exact", ["HELLO"], "HELLO"),
     ("Reply with the letters A to E separated by single spaces, nothing else.", "regex", [r"^\s*A B C D E\s*$"], "A B C D E"),
     ("Write a sentence that starts with the word 'Because' and ends with a question mark.", "regex", [r"^\s*Because\b[^\n]*\?\s*$"], "Because it rained, did the match get cancelled?"),
     ("Reply with a JSON array of the first three even positive integers, nothing else.", "regex", [r"^\s*\[\s*2\s*,\s*4\s*,\s*6\s*\]\s*$"], "[2, 4, 6]"),
     ("Give the abbreviation for 'as soon as possible' in capital letters only.", "exact", ["ASAP"], "ASAP"),
     ("Reply with the word 'yes' or 'no' only: is 17 a prime number?", "regex", [r"^\s*\W*yes\W*\s*$"], "yes")]
for i, (q, scorer, answers, reply) in enumerate(I, 1):
    add("instruction", f"{i:02}", q, scorer, answers, reply)

# extraction to JSON, checked against a schema and expected values
E = [("Extract the person from: 'Dr. Amira Haddad, 47, joined Orion Labs as chief scientist.' Reply with JSON {\"name\": string, \"age\": integer, \"company\": string}.",
      {"type": "object", "required": ["name", "age", "company"], "properties": {"name": {"type": "string"}, "age": {"type": "integer"}, "company": {"type": "string"}}},
      {"age": 47, "company": "Orion Labs"}, {"name": "Amira Haddad", "age": 47, "company": "Orion Labs"}),
     ("From the invoice line 'INV-2291 due 2024-07-15, total EUR 1,480.50' extract JSON {\"invoice\": string, \"due\": string (YYYY-MM-DD), \"currency\": string, \"total\": number}.",
      {"type": "object", "required": ["invoice", "due", "currency", "total"], "properties": {"invoice": {"type": "string"}, "due": {"type": "string"}, "currency": {"type": "string"}, "total": {"type": "number"}}},
      {"invoice": "INV-2291", "due": "2024-07-15", "currency": "EUR", "total": 1480.5}, {"invoice": "INV-2291", "due": "2024-07-15", "currency": "EUR", "total": 1480.5}),
     ("Extract the meeting as JSON {\"day\": string, \"time\": string (HH:MM, 24h), \"room\": string} from: 'Let us meet Thursday at 2:30 pm in room B12.'",
      {"type": "object", "required": ["day", "time", "room"], "properties": {"day": {"type": "string"}, "time": {"type": "string"}, "room": {"type": "string"}}},
      {"day": "Thursday", "time": "14:30", "room": "B12"}, {"day": "Thursday", "time": "14:30", "room": "B12"}),
     ("Return JSON {\"sentiment\": one of \"positive\", \"negative\", \"neutral\"} for the review: 'The battery died after two days. Very disappointed.'",
      {"type": "object", "required": ["sentiment"], "properties": {"sentiment": {"enum": ["positive", "negative", "neutral"]}}},
      {"sentiment": "negative"}, {"sentiment": "negative"}),
     ("List the product codes in 'Order: AB-100 x2, CD-220 x1, EF-310 x5' as JSON {\"codes\": [string], \"total_units\": integer}.",
      {"type": "object", "required": ["codes", "total_units"], "properties": {"codes": {"type": "array", "items": {"type": "string"}}, "total_units": {"type": "integer", "minimum": 0}}},
      {"codes": ["AB-100", "CD-220", "EF-310"], "total_units": 8}, {"codes": ["AB-100", "CD-220", "EF-310"], "total_units": 8}),
     ("Extract JSON {\"city\": string, \"postcode\": string, \"country\": string} from the address '12 Rue des Lilas, 75011 Paris, France'.",
      {"type": "object", "required": ["city", "postcode", "country"], "properties": {"city": {"type": "string"}, "postcode": {"type": "string"}, "country": {"type": "string"}}},
      {"city": "Paris", "postcode": "75011", "country": "France"}, {"city": "Paris", "postcode": "75011", "country": "France"}),
     ("From 'Ticket #5521: printer on floor 3 jams; priority high; reported by j.ng@example.com' extract JSON {\"ticket\": integer, \"floor\": integer, \"priority\": one of \"low\", \"medium\", \"high\", \"email\": string}.",
      {"type": "object", "required": ["ticket", "floor", "priority", "email"], "properties": {"ticket": {"type": "integer"}, "floor": {"type": "integer"}, "priority": {"enum": ["low", "medium", "high"]}, "email": {"type": "string"}}},
      {"ticket": 5521, "floor": 3, "priority": "high", "email": "j.ng@example.com"}, {"ticket": 5521, "floor": 3, "priority": "high", "email": "j.ng@example.com"}),
     ("Return JSON {\"is_spam\": boolean} for the message: 'CONGRATULATIONS! You won a free cruise, click here to claim now!!!'",
      {"type": "object", "required": ["is_spam"], "properties": {"is_spam": {"type": "boolean"}}},
      {"is_spam": True}, {"is_spam": True}),
     ("Extract JSON {\"temperature_c\": number, \"humidity_percent\": integer} from the sensor log 'temp=21.5C hum=48%'.",
      {"type": "object", "required": ["temperature_c", "humidity_percent"], "properties": {"temperature_c": {"type": "number"}, "humidity_percent": {"type": "integer", "minimum": 0, "maximum": 100}}},
      {"temperature_c": 21.5, "humidity_percent": 48}, {"temperature_c": 21.5, "humidity_percent": 48}),
     ("From 'Flight KL1234 departs AMS 07:05 arrives LHR 07:25' extract JSON {\"flight\": string, \"from\": string, \"to\": string}.",
      {"type": "object", "required": ["flight", "from", "to"], "properties": {"flight": {"type": "string"}, "from": {"type": "string"}, "to": {"type": "string"}}},
      {"flight": "KL1234", "from": "AMS", "to": "LHR"}, {"flight": "KL1234", "from": "AMS", "to": "LHR"}),
     ("Extract JSON {\"first_name\": string, \"last_name\": string} from the signature 'Kind regards, Priya Raman'.",
      {"type": "object", "required": ["first_name", "last_name"], "properties": {"first_name": {"type": "string"}, "last_name": {"type": "string"}}},
      {"first_name": "Priya", "last_name": "Raman"}, {"first_name": "Priya", "last_name": "Raman"}),
     ("Return JSON {\"quantity\": integer, \"unit\": string, \"item\": string} for the request 'please order 40 boxes of A4 paper'.",
      {"type": "object", "required": ["quantity", "unit", "item"], "properties": {"quantity": {"type": "integer", "minimum": 1}, "unit": {"type": "string"}, "item": {"type": "string"}}},
      {"quantity": 40, "unit": "boxes", "item": "A4 paper"}, {"quantity": 40, "unit": "boxes", "item": "A4 paper"})]
for i, (q, schema, expected, reply) in enumerate(E, 1):
    add("extraction", f"{i:02}", q + " Reply with the JSON only.", "json-schema", None, json.dumps(reply), options={"schema": schema, "expected": expected})

# classification: one label, scored by regex on the whole (short) reply
C = [("I was charged twice for my subscription this month.", ["billing", "technical", "shipping", "other"], "billing"),
     ("The app crashes every time I open the settings page.", ["billing", "technical", "shipping", "other"], "technical"),
     ("My parcel has been stuck in transit for nine days.", ["billing", "technical", "shipping", "other"], "shipping"),
     ("Absolutely love the new update, great job team!", ["positive", "negative", "neutral"], "positive"),
     ("The delivery arrived on Tuesday.", ["positive", "negative", "neutral"], "neutral"),
     ("Worst customer service I have ever had.", ["positive", "negative", "neutral"], "negative"),
     ("Can you reset my password? I cannot log in.", ["account", "billing", "feedback"], "account"),
     ("Please add a dark mode, it would really help at night.", ["bug", "feature request", "question"], "feature request"),
     ("How do I export my data to CSV?", ["bug", "feature request", "question"], "question"),
     ("Your invoice shows the wrong VAT number for our company.", ["billing", "technical", "shipping", "other"], "billing"),
     ("Le produit est arrivé cassé.", ["positive", "negative", "neutral"], "negative"),
     ("Server returns HTTP 500 when uploading files larger than 2 GB.", ["bug", "feature request", "question"], "bug")]
for i, (text, labels, label) in enumerate(C, 1):
    q = f"Classify the message into one of these labels: {', '.join(labels)}.\nMessage: {text}\nReply with the label only."
    add("classification", f"{i:02}", q, "regex", [rf"^\W*{label}\W*$"], label)

# multilingual: 4 each in English, Chinese, French, Indonesian
M = [("en", "What is the opposite of 'ancient'? Answer with one word.", "contains", ["modern", "new"], "Modern"),
     ("en", "How many legs does a spider have? Answer with a number.", "numeric", ["8"], "8"),
     ("en", "Translate the French word 'bonjour' into English.", "contains", ["hello", "good morning", "good day"], "Hello"),
     ("en", "Which month comes after September?", "contains", ["October"], "October"),
     ("zh", "中国的首都是哪个城市？请用中文回答。", "contains", ["北京"], "北京"),
     ("zh", "一个星期有几天？只回答数字。", "numeric", ["7"], "7"),
     ("zh", "请把“谢谢”翻译成英文。", "contains", ["thank"], "Thank you"),
     ("zh", "水的化学式是什么？", "contains", ["H2O", "H₂O"], "H2O"),
     ("fr", "Quelle est la capitale de l'Italie ? Répondez en un mot.", "contains", ["Rome"], "Rome"),
     ("fr", "Combien font douze fois trois ? Répondez par un nombre.", "numeric", ["36"], "36"),
     ("fr", "Traduisez en anglais : « le chat dort ».", "contains", ["cat"], "The cat is sleeping."),
     ("fr", "Quel est le contraire de « chaud » ? Un seul mot.", "contains", ["froid"], "Froid"),
     ("id", "Apa ibu kota Indonesia saat ini menurut undang-undang tahun 2022? Jawab singkat.", "contains", ["Nusantara"], "Nusantara"),
     ("id", "Berapa hasil 15 ditambah 27? Jawab dengan angka.", "numeric", ["42"], "42"),
     ("id", "Terjemahkan ke bahasa Inggris: 'selamat pagi'.", "contains", ["good morning"], "Good morning"),
     ("id", "Hewan apa yang dikenal sebagai 'raja hutan'? Jawab satu kata dalam bahasa Indonesia.", "contains", ["singa"], "Singa")]
for i, (lang, q, scorer, answers, reply) in enumerate(M, 1):
    add("multilingual", f"{lang}-{i:02}", q, scorer, answers, reply)

# enterprise tasks: customer-service replies and policy summaries, checked for required content
P = ("Policy: Employees may work remotely up to 3 days per week with manager approval. Equipment is provided by IT. "
     "Remote work from another country requires HR approval at least 30 days in advance. Expenses for home internet are reimbursed up to 40 EUR per month.")
EN = [("Write a short, polite reply to a customer whose order #4821 arrived late. Apologise, mention the order number, and offer a 10% discount code.",
       "contains", ["4821", "10%", "apolog"], {"all": True}, "We apologise that order #4821 arrived late. Please accept a 10% discount code: SORRY10."),
      ("Write a reply to a customer asking for a refund outside the 30-day window. Politely decline, mention the 30-day policy, and offer store credit.",
       "contains", ["30", "store credit"], {"all": True}, "Thank you for reaching out. Our refund policy covers 30 days, so we cannot refund this order, but we are happy to offer store credit."),
      ("A customer writes angrily that the website is down. Reply in two sentences, acknowledge the problem and say the team is working on it. Do not promise a specific time.",
       "regex", [r"(?is)^(?!.*\b(within|by)\s+\d).*(working|investigat).*$"], None, "We are sorry the website is unavailable. Our team is working on it right now."),
      ("Write a reply to a customer asking whether their data is sold to third parties. State clearly that data is not sold, without using the word 'guarantee'.",
       "not-contains", ["guarantee"], None, "We do not sell your data to third parties."),
      (f"{P}\nSummarise this policy in at most three bullet points. Mention the number of remote days allowed.",
       "contains", ["3", "HR"], {"all": True}, "- Up to 3 remote days a week with manager approval\n- Working from another country needs HR approval 30 days ahead\n- Home internet reimbursed up to 40 EUR a month"),
      (f"{P}\nHow much is reimbursed for home internet per month? Answer with the amount and currency.",
       "regex", [r"40\s*(EUR|euros?|€)|€\s*40"], None, "40 EUR per month."),
      (f"{P}\nAn employee wants to work from Spain next week. Is that allowed under the policy? Answer yes or no, then give the reason.",
       "regex", [r"(?is)^\W*no\b.*30"], None, "No. Working from another country needs HR approval at least 30 days in advance."),
      ("Draft a subject line (max 8 words) for an email telling customers about scheduled maintenance on Saturday.",
       "regex", [r"(?i)^(?=.*maintenance)\W*(\S+\s+){0,7}\S+\W*$"], None, "Scheduled maintenance this Saturday"),
      ("Write a one-sentence out-of-office message saying you are away until 14 August and naming colleague Jonas Berg as the contact.",
       "contains", ["14 August", "Jonas"], {"all": True}, "I am away until 14 August; for urgent matters please contact Jonas Berg."),
      ("Classify the urgency of this support email as low, medium or high and reply with the word only: 'Our production database is down and no customer can log in.'",
       "regex", [r"^\W*high\W*$"], None, "high")]
for i, (q, scorer, answers, options, reply) in enumerate(EN, 1):
    extra = {"options": options} if options else {}
    add("enterprise", f"{i:02}", q, scorer, answers, reply, **extra)

out = pathlib.Path(__file__).resolve().parent.parent / "src/ModelRace.Race/Suites/BuiltIn/quick.jsonl"
with open(out, "w", encoding="utf-8") as f:
    for item in items:
        f.write(json.dumps(item, ensure_ascii=False) + "\n")
print(len(items), "items ->", out)
